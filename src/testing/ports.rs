//! Free loopback ports for servers a test starts.

use std::net::TcpListener;

/// A TCP port on 127.0.0.1 that was free a moment ago.
///
/// The port is released before the caller binds it, so another process may
/// take it in between; callers that start servers retry on a bind failure.
pub fn free_loopback_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}
