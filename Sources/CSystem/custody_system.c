// Compiled with _GNU_SOURCE so that <fcntl.h> and <sys/socket.h> declare what Swift cannot see.
#define _GNU_SOURCE
#include <fcntl.h>
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

int custody_gettid(void) { return (int)syscall(SYS_gettid); }
