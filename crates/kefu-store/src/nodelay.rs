//! Turns Nagle's algorithm off for PostgreSQL connections. sqlx 0.9.0 no longer sets
//! TCP_NODELAY on its sockets (transact-rs/sqlx#4335; fixed upstream by #4336, not yet in a
//! release), so a statement longer than one TCP segment (a batch of tickets, a long comment)
//! waits for the server's delayed ACK: 40 ms each time on Linux. Until a release sets it again,
//! each new connection sets it on the process's sockets; remove this module then.

/// Sets TCP_NODELAY on every socket of this process. Other TCP sockets of kefu (HTTP, SMTP,
/// IMAP) carry request/response protocols that gain from it too; sockets that are not TCP
/// refuse the option, which is ignored.
#[cfg(target_os = "linux")]
pub(crate) fn set_on_process_sockets() {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<libc::c_int>().ok())
        else {
            continue;
        };
        let is_socket = std::fs::read_link(entry.path())
            .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"));
        if is_socket {
            set_nodelay(fd);
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn set_on_process_sockets() {}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn set_nodelay(fd: libc::c_int) {
    let on: libc::c_int = 1;
    // SAFETY: setsockopt reads exactly `size_of::<c_int>()` bytes from `&on`, a live local of
    // that size, and writes nothing. The descriptor is only a number to the kernel: had it been
    // closed or reused since it was listed, the call fails (EBADF, ENOTSOCK, ENOPROTOOPT) or
    // sets the option on another socket of this process; no Rust-owned memory is involved.
    let _ = unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            (&raw const on).cast::<libc::c_void>(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn a_tcp_connection_of_the_process_gets_nodelay() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        assert!(!client.nodelay().unwrap(), "Nagle is on by default");
        super::set_on_process_sockets();
        assert!(client.nodelay().unwrap());
        assert!(accepted.nodelay().unwrap());
    }
}
