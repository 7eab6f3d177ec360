//go:build cgo

package storage

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
)

// writeCalls is the number of write system calls this process has made.
func writeCalls(t *testing.T) int {
	t.Helper()
	f, err := os.Open("/proc/self/io")
	if err != nil {
		t.Skipf("no write counts: %v", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "syscw: "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no syscw in /proc/self/io")
	return 0
}

// TestWALVFSWritesATransactionInOneCall checks that a COMMIT of many pages
// reaches the log in one write, where SQLite alone makes two per page.
func TestWALVFSWritesATransactionInOneCall(t *testing.T) {
	ctx := context.Background()
	db, _ := openBlobs(t, Options{})
	write := func() error {
		return db.WriteTx(ctx, func(tx *Tx) error { return insertBlobs(ctx, tx, "t", 20, 3000) })
	}
	if err := write(); err != nil { // the log's header and first frames
		t.Fatal(err)
	}
	before := writeCalls(t)
	if err := write(); err != nil {
		t.Fatal(err)
	}
	// 20 pages of rows and a few of the index: over 40 writes without
	// the VFS. Other tests of the package may write meanwhile.
	if calls := writeCalls(t) - before; calls > 5 {
		t.Fatalf("a COMMIT of about 22 pages made %d write calls, want 1", calls)
	}
}
