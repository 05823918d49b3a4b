//! The scheduler: an ordinary API client that binds pods to nodes. Not
//! built yet: `keelson scheduler` says so.
