package storage

// SQLite counts every allocation it makes in process-wide statistics,
// under one mutex that each connection's thread takes on every malloc and
// free. The writers of three files and their readers run on threads of
// their own, so they queue on that mutex many times per statement.
// Without the statistics, bench sagas ran about a quarter faster in both
// saga modes. What they fed goes with them: sqlite3_status reports
// nothing and PRAGMA soft_heap_limit has nothing to go on, so each
// connection's page cache (cache_size) bounds SQLite's memory instead.
//
// The statistics can only be turned off before SQLite initializes, which
// it does when the first connection opens. go-sqlite3 opens none in its
// init, which runs before this package's.

/*
typedef long long sagalab_int64;

int sqlite3_config(int, ...);
sagalab_int64 sqlite3_memory_used(void);

// SQLITE_CONFIG_MEMSTATUS, from sqlite3.h.
enum { sagalab_config_memstatus = 9 };

static int sagalab_memstatus_off(void) {
	return sqlite3_config(sagalab_config_memstatus, 0);
}
*/
import "C"

// memoryStatisticsOff turns the statistics off. Anything but SQLITE_OK
// means SQLite had already initialized: the statistics stay on, which
// costs speed, not correctness.
func memoryStatisticsOff() { C.sagalab_memstatus_off() }

// sqliteMemoryUsed is the memory SQLite reports in use: 0 while the
// statistics are off.
func sqliteMemoryUsed() int64 { return int64(C.sqlite3_memory_used()) }
