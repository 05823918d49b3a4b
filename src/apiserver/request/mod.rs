//! Reading requests: what they ask for ([`info`]) and their common query
//! parameters ([`query`]).

pub mod info;
pub mod query;

pub use info::RequestInfo;
