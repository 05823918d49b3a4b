//! keelson: a Kubernetes control plane in one binary.
//!
//! The crate is laid out as `DESIGN.md` describes: [`storage`] holds the
//! MVCC contract and its embedded and etcd backends; [`apiserver`],
//! [`scheduler`], [`controllers`] and [`pki`] build the control plane on
//! top; [`cli`] is the `keelson` command line.

pub mod apiserver;
pub mod cli;
pub mod controllers;
pub mod cron;
pub mod pki;
pub mod quota;
pub mod scheduler;
pub mod storage;
pub mod testing;
