// epoll(7): Swift's Glibc module does not include <sys/epoll.h>. Header only, nothing to link;
// wrapped by HTTPServer's Epoll.
#include <sys/epoll.h>
