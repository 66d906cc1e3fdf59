#ifndef CCOLUMNARSHIM_H
#define CCOLUMNARSHIM_H

/// Starts writing `count` bytes of `fd` from `offset` to disk and returns at once
/// (`sync_file_range` with `SYNC_FILE_RANGE_WRITE`): a hint, which guarantees nothing; the fsync
/// that follows does. Returns 0, or -1 with errno set. In C because glibc declares it only under
/// _GNU_SOURCE, which Swift's Glibc module does not see.
int mg_start_writeback(int fd, long long offset, long long count);

#endif
