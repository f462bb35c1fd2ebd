// The Linux calls and constants Swift's Glibc module leaves out: <sys/epoll.h> entirely, and what
// needs _GNU_SOURCE (O_DIRECT, accept4). Wrapped by the POSIX module only.
#ifndef CUSTODY_SYSTEM_H
#define CUSTODY_SYSTEM_H

#include <sys/epoll.h>
#include <sys/socket.h>

/// O_DIRECT as this architecture's <fcntl.h> defines it.
int custody_o_direct(void);

/// accept4(2) with SOCK_CLOEXEC | SOCK_NONBLOCK: the accepted socket is non-blocking and closed
/// on exec from its first instant.
int custody_accept_nonblocking(int fd, struct sockaddr *address, socklen_t *length);

#endif
