// The FastCGI connection to nginx, watched while a request runs: a deadline on writes (a
// client that stops reading a stream makes nginx stop reading from us; without one an
// acceptor thread would block in write() for as long as nginx's send_timeout) and a cheap
// check whether nginx closed the connection (it does when the client leaves), so a request
// that writes nothing until it ends — a non-streamed generation — still notices.
// Thread-safety: plain functions on a file descriptor.
#pragma once

namespace deepgate::fcgi {

// SO_SNDTIMEO: a write() that makes no progress for `ms` fails (EAGAIN), which libfcgi
// reports as a failed put/flush — the request then counts as gone. false: setsockopt failed.
bool SetWriteTimeout(int fd, int ms);

// true when the peer has closed or shut down its side (POLLRDHUP/POLLHUP/POLLERR); never blocks.
bool PeerClosed(int fd);

}  // namespace deepgate::fcgi
