//go:build linux && cgo

package main

/*
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

static void mitreden_keep_freed_heap(int bytes) {
#ifdef __GLIBC__
	mallopt(M_TRIM_THRESHOLD, bytes);
#endif
}
*/
import "C"

// keptHeap is how much freed memory at the top of a malloc arena glibc
// keeps for reuse before handing it back to the kernel (its default is
// 128 KiB).
const keptHeap = 16 << 20

// In WAL mode every SQLite read connection that finds the database changed
// drops its whole page cache; under a stream of votes that is nearly every
// read. glibc trimmed each freed batch with madvise, and the next read
// faulted the pages back in: perf showed about 7 % of all CPU in madvise
// (TLB shootdowns across the cores) and 4 % in page faults. Keeping 16 MiB
// per arena ends that. Votes under wrk (docs/performance.md, 7 December
// 2026, two cores, four rounds in turn, this build against the same build
// without this file): 12,108 / 13,397 / 13,089 / 13,196 votes/s against
// 5,824 / 6,994 / 6,125 / 6,860 (about 2 ×; bare Fiber 47,253–51,506/s, so
// 0.26 × against 0.13 ×; p99 13–17 ms against 19–22 ms). 16 MiB and
// 128 MiB measured the same (13,166 and 12,945 votes/s).
func init() {
	C.mitreden_keep_freed_heap(C.int(keptHeap))
}
