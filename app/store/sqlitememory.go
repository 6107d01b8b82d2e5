package store

/*
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

static int mitreden_keep_freed_memory(int bytes) {
#ifdef __GLIBC__
	return mallopt(M_TRIM_THRESHOLD, bytes);
#else
	return 1;
#endif
}
*/
import "C"

import "sync"

// sqliteHeapKept is how much freed memory at the top of a malloc arena
// glibc keeps before giving it back to the kernel (its default is 128 KiB).
const sqliteHeapKept = 64 << 20

var keepFreedMemory sync.Once

// keepSQLiteHeap stops glibc from handing SQLite's freed page buffers
// back to the kernel at once.
//
// In WAL mode every read transaction that finds the database changed
// drops its connection's whole page cache; under a stream of votes that
// is every read. glibc trimmed each freed batch of pages with madvise and
// the next read faulted them in again: page faults and madvise were a
// tenth of the CPU in the vote load run, and the writer took twice as
// long per vote. Memory that was in use stays with the process instead;
// it is reused by the next read.
func keepSQLiteHeap() {
	keepFreedMemory.Do(func() { C.mitreden_keep_freed_memory(C.int(sqliteHeapKept)) })
}
