//! The Kubernetes API server: TLS, authentication, authorization,
//! admission, the generic registry and per-kind strategies, watch cache,
//! discovery and OpenAPI. Not built yet: `keelson apiserver` says so.
