//! The registry: every resource the API serves, described by data, and the
//! generic store that implements each verb once for all of them.

pub mod resource;
