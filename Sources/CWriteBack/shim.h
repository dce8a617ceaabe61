// Starting write-back of a file range without waiting: Linux's sync_file_range with
// SYNC_FILE_RANGE_WRITE. Declared here because the C library declares it only under
// _GNU_SOURCE. Elsewhere it does nothing.
#ifndef PLUMB_CWRITEBACK_H
#define PLUMB_CWRITEBACK_H

#ifdef __linux__
extern int sync_file_range(int fd, long long offset, long long nbytes, unsigned int flags);
#endif

/// Asks the kernel to start writing `count` bytes at `offset` of `fd` to the disk; returns
/// at once. 0 on success, -1 with errno set otherwise.
static inline int plumb_start_write_back(int fd, long long offset, long long count) {
#ifdef __linux__
    return sync_file_range(fd, offset, count, 2 /* SYNC_FILE_RANGE_WRITE */);
#else
    (void)fd; (void)offset; (void)count;
    return 0;
#endif
}

#endif
