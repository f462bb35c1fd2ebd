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

/// Sets the calling thread's nice value (0-19; higher runs at lower CPU priority); threads it starts
/// later inherit it. 0 on success, -1 with errno.
int custody_nice_this_thread(int niceness);

/// Puts the calling thread under SCHED_IDLE (idle != 0: it runs only on CPU time no other thread
/// wants) or back under SCHED_OTHER; threads it starts later inherit it. 0 on success, -1 with errno.
int custody_schedule_this_thread(int idle);

/// 1 when the calling thread runs under SCHED_IDLE.
int custody_this_thread_is_idle(void);

/// The calling thread's ID (gettid(2)).
int custody_gettid(void);

/// pidfd_open(2) (Linux 5.3): a descriptor for process `pid`, closed on exec. -1 with errno.
int custody_pidfd_open(int pid);

/// pidfd_send_signal(2): `signal` to the process `pidfd` holds, never to another that took its PID
/// after it was reaped (then -1 with ESRCH).
int custody_pidfd_send_signal(int pidfd, int signal);

#endif
