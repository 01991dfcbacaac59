// File-system calls that the Swift Glibc module does not declare.

#if defined(__linux__)
// syncfs(2) (Linux 2.6.39, glibc 2.14): writes back everything dirty on the file system holding `fd`. <unistd.h>
// declares it only under _GNU_SOURCE, which the Glibc module is built without, so it is declared here.
extern int syncfs(int fd);
#endif
