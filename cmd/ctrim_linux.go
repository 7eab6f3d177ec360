//go:build linux && cgo

package cmd

// #include <malloc.h>
import "C"

// trimCHeap gives back to the system the free memory of the C heap, where
// SQLite allocates: glibc keeps what a run freed, and a later run's peak
// would start from it.
func trimCHeap() { C.malloc_trim(0) }
