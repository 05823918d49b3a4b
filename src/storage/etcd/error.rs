//! How etcd and transport failures become [`StorageError`]s.
//!
//! etcd reports its own refusals as gRPC statuses whose message carries the
//! reason ("etcdserver: mvcc: required revision has been compacted"); the
//! transport reports a dead or unreachable server as a status too
//! (`Unavailable` for a refused connection, `Cancelled` for a timeout,
//! `Unknown` with an h2 message for a connection cut mid-request). The code
//! alone is not enough (etcd answers both "compacted" and "future revision"
//! with `OutOfRange`, and "too many requests" and "message too large" with
//! `ResourceExhausted`), so [`classify`] looks at the message first and the
//! code second. It is a pure function so that the table can be unit tested
//! without a server; the verbs then add what they know (the revision asked
//! for, the size of the value) in [`Failure::into_storage_error`].

use tonic::Code;

use crate::storage::{Revision, StorageError};

/// What went wrong, as far as the contract cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The revision asked for is older than etcd's compaction point.
    Compacted,
    /// The revision asked for has not happened yet.
    FutureRevision,
    /// etcd refused the request for its size (`--max-request-bytes`).
    TooLarge(String),
    /// etcd cannot be reached or cannot answer right now; retrying may work.
    Unavailable(String),
    /// Anything else.
    Internal(String),
}

/// The context a verb adds to a [`Failure`] to make a complete error.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context {
    /// The revision the request asked for (0 if none).
    pub requested: Revision,
    /// The compaction point this client knows of (0 if none).
    pub compacted: Revision,
    /// The size of the value written (0 for reads).
    pub value_size: usize,
}

// etcd's own error texts (etcd/mvcc/kvstore.go, etcdserver/api/v3rpc/rpctypes).
const COMPACTED: &str = "required revision has been compacted";
const FUTURE_REVISION: &str = "required revision is a future revision";
const REQUEST_TOO_LARGE: &str = "request is too large";
// grpc-go's server refusing an oversized request before etcd sees it.
const GRPC_MESSAGE_TOO_LARGE: &str = "received message larger than max";
// etcd refusals that go away by themselves: elections, overload, slow disks.
const RETRYABLE_ETCD: &[&str] = &[
    "no leader",
    "leader changed",
    "not leader",
    "request timed out",
    "too many requests",
    "timed out waiting for read index response",
    "server stopped",
];
// Transport failures that tonic reports as `Unknown`/`Internal` with the
// underlying error's text: the connection died under the request.
const TRANSPORT: &[&str] = &[
    "transport error",
    "connection refused",
    "connection reset",
    "connection closed",
    "broken pipe",
    "error trying to connect",
    "tcp connect error",
    "h2 protocol error",
    "operation was canceled",
    "timeout expired",
];

/// Sorts an etcd client error into what the contract distinguishes.
pub fn classify(error: &etcd_client::Error) -> Failure {
    use etcd_client::Error as E;
    match error {
        E::GRpcStatus(status) => classify_status(status.code(), &describe(status)),
        // The channel could not be built or the connection failed before
        // any gRPC exchange: the server is not reachable.
        E::TransportError(e) => Failure::Unavailable(format!("etcd transport: {e}")),
        E::IoError(e) => Failure::Unavailable(format!("etcd connection: {e}")),
        // The watch request channel closed: the stream is gone.
        E::WatchError(e) => Failure::Unavailable(format!("etcd watch stream: {e}")),
        other => Failure::Internal(format!("etcd client: {other}")),
    }
}

/// A status's message followed by its causes ("tcp connect error:
/// Connection refused (os error 111)"): tonic's own message alone often
/// names only the outermost layer.
fn describe(status: &tonic::Status) -> String {
    let mut text = status.message().to_owned();
    let mut source = std::error::Error::source(status);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Sorts a gRPC status (code and message) the way [`classify`] does.
pub fn classify_status(code: Code, message: &str) -> Failure {
    let lower = message.to_ascii_lowercase();
    let has = |needle: &str| lower.contains(needle);
    if has(COMPACTED) {
        return Failure::Compacted;
    }
    if has(FUTURE_REVISION) {
        return Failure::FutureRevision;
    }
    if has(REQUEST_TOO_LARGE) || has(GRPC_MESSAGE_TOO_LARGE) {
        return Failure::TooLarge(format!("etcd refused the request as too large: {message}"));
    }
    let described = |what: &str| {
        if message.is_empty() {
            format!("{what} ({code:?})")
        } else {
            format!("{what}: {message}")
        }
    };
    match code {
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::Aborted => {
            Failure::Unavailable(described("etcd is unavailable"))
        }
        _ if RETRYABLE_ETCD.iter().any(|needle| has(needle)) => {
            Failure::Unavailable(described("etcd is unavailable"))
        }
        Code::Unknown | Code::Internal if TRANSPORT.iter().any(|needle| has(needle)) => {
            Failure::Unavailable(described("lost the connection to etcd"))
        }
        _ => Failure::Internal(described("etcd failed")),
    }
}

impl Failure {
    /// The [`StorageError`] for this failure, with what the caller knows.
    pub fn into_storage_error(self, context: Context) -> StorageError {
        match self {
            Failure::Compacted => StorageError::Compacted {
                requested: context.requested,
                compacted: context.compacted,
            },
            // The current revision is not in etcd's answer; callers that
            // can cheaply learn it fill it in (see `EtcdStorage::future`).
            Failure::FutureRevision => StorageError::FutureRevision {
                requested: context.requested,
                current: 0,
            },
            Failure::TooLarge(message) => {
                // etcd does not say what its limit is; the value was within
                // keelson's own (validated before sending), so etcd's
                // `--max-request-bytes` is below what keelson needs.
                tracing::warn!(
                    "{message}; etcd's --max-request-bytes must allow values of {} bytes",
                    crate::storage::MAX_VALUE_BYTES
                );
                StorageError::ValueTooLarge {
                    size: context.value_size,
                    limit: 0,
                }
            }
            Failure::Unavailable(message) => StorageError::Unavailable(message),
            Failure::Internal(message) => StorageError::Internal(message),
        }
    }
}

/// Maps an etcd client error with the given context.
pub fn map(error: etcd_client::Error, context: Context) -> StorageError {
    classify(&error).into_storage_error(context)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: Code, message: &str) -> etcd_client::Error {
        etcd_client::Error::GRpcStatus(tonic::Status::new(code, message))
    }

    #[test]
    fn etcd_revision_errors() {
        assert_eq!(
            classify(&status(
                Code::OutOfRange,
                "etcdserver: mvcc: required revision has been compacted"
            )),
            Failure::Compacted
        );
        assert_eq!(
            classify(&status(
                Code::OutOfRange,
                "etcdserver: mvcc: required revision is a future revision"
            )),
            Failure::FutureRevision
        );
        let error = map(
            status(
                Code::OutOfRange,
                "etcdserver: mvcc: required revision has been compacted",
            ),
            Context {
                requested: 3,
                compacted: 7,
                value_size: 0,
            },
        );
        assert!(
            matches!(
                error,
                StorageError::Compacted {
                    requested: 3,
                    compacted: 7
                }
            ),
            "{error:?}"
        );
        assert!(error.is_expired());
    }

    #[test]
    fn too_large() {
        let error = map(
            status(Code::InvalidArgument, "etcdserver: request is too large"),
            Context {
                value_size: 99,
                ..Context::default()
            },
        );
        assert!(
            matches!(error, StorageError::ValueTooLarge { size: 99, .. }),
            "{error:?}"
        );
        assert!(matches!(
            classify(&status(
                Code::ResourceExhausted,
                "grpc: received message larger than max (9000000 vs. 8912896)"
            )),
            Failure::TooLarge(_)
        ));
    }

    #[test]
    fn unreachable_and_overloaded_etcd_is_retryable() {
        for (code, message) in [
            (
                Code::Unavailable,
                "tcp connect error: Connection refused (os error 111)",
            ),
            (Code::Unavailable, ""),
            (Code::DeadlineExceeded, "context deadline exceeded"),
            (Code::Cancelled, "Timeout expired"),
            (Code::Unknown, "transport error"),
            (
                Code::Unknown,
                "h2 protocol error: error reading a body from connection",
            ),
            (Code::Internal, "h2 protocol error: broken pipe"),
            (Code::Unavailable, "etcdserver: leader changed"),
            (Code::Unavailable, "etcdserver: no leader"),
            (Code::Unavailable, "etcdserver: request timed out"),
            (Code::ResourceExhausted, "etcdserver: too many requests"),
        ] {
            let error = map(status(code, message), Context::default());
            assert!(error.is_retryable(), "{code:?} {message:?} gave {error:?}");
            assert!(error.to_string().contains(message), "{error}");
        }
        let io = etcd_client::Error::IoError(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused,
        ));
        assert!(map(io, Context::default()).is_retryable());
        let watch = etcd_client::Error::WatchError("channel closed".into());
        assert!(map(watch, Context::default()).is_retryable());
    }

    #[test]
    fn everything_else_is_internal() {
        for (code, message) in [
            (Code::PermissionDenied, "etcdserver: permission denied"),
            (
                Code::InvalidArgument,
                "etcdserver: duplicate key given in txn request",
            ),
            (
                Code::ResourceExhausted,
                "etcdserver: mvcc: database space exceeded",
            ),
            (Code::Unknown, "something odd"),
        ] {
            let error = map(status(code, message), Context::default());
            assert!(
                matches!(error, StorageError::Internal(ref m) if m.contains(message)),
                "{code:?} {message:?} gave {error:?}"
            );
            assert!(!error.is_retryable());
        }
        let other = etcd_client::Error::InvalidArgs("empty endpoints".into());
        assert!(matches!(
            map(other, Context::default()),
            StorageError::Internal(_)
        ));
    }
}
