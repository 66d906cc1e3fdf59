#define _GNU_SOURCE
#include <fcntl.h>

#include "CColumnarShim.h"

int mg_start_writeback(int fd, long long offset, long long count) {
    return sync_file_range(fd, (off64_t)offset, (off64_t)count, SYNC_FILE_RANGE_WRITE);
}
