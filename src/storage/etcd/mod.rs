//! The etcd backend. Not built yet.
