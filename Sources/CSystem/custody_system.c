// Compiled with _GNU_SOURCE so that <fcntl.h> and <sys/socket.h> declare what Swift cannot see.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "custody_system.h"

int custody_o_direct(void) { return O_DIRECT; }

int custody_accept_nonblocking(int fd, struct sockaddr *address, socklen_t *length) {
    return accept4(fd, address, length, SOCK_CLOEXEC | SOCK_NONBLOCK);
}

int custody_nice_this_thread(int niceness) {
    // On Linux the nice value belongs to the thread (its TID), not the process: setpriority with the
    // TID changes only the calling thread, and threads it starts later inherit it.
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), niceness);
}

int custody_schedule_this_thread(int idle) {
    // sched_setscheduler with pid 0 changes the calling thread only; threads it starts later inherit
    // the policy. Leaving SCHED_IDLE for SCHED_OTHER needs no privilege since Linux 2.6.39.
    struct sched_param param = { .sched_priority = 0 };
    return sched_setscheduler(0, idle ? SCHED_IDLE : SCHED_OTHER, &param);
}

int custody_this_thread_is_idle(void) { return sched_getscheduler(0) == SCHED_IDLE; }

int custody_gettid(void) { return (int)syscall(SYS_gettid); }

int custody_pidfd_open(int pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int custody_pidfd_send_signal(int pidfd, int signal) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, signal, NULL, 0);
}
