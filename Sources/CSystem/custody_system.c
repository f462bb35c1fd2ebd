// Compiled with _GNU_SOURCE so that <fcntl.h> and <sys/socket.h> declare what Swift cannot see.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/socket.h>
#include "custody_system.h"

int custody_o_direct(void) { return O_DIRECT; }

int custody_accept_nonblocking(int fd, struct sockaddr *address, socklen_t *length) {
    return accept4(fd, address, length, SOCK_CLOEXEC | SOCK_NONBLOCK);
}
