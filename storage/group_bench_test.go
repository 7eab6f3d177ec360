package storage

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// BenchmarkGroupCommit measures concurrent WriteTx calls that share
// transactions, each inserting one row inside a savepoint of its own, as a
// consumer's batch does per message: the cost of group commit's
// bookkeeping around small writes. CPU time per call is the figure to
// compare; with synchronous=NORMAL no call waits for the disk.
func BenchmarkGroupCommit(b *testing.B) {
	db, err := Open(context.Background(), filepath.Join(b.TempDir(), "g.db"), groupMigrations, Options{GroupCommit: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	ctx := context.Background()
	var next atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := next.Add(1)
			err := db.WriteTx(ctx, func(tx *Tx) error {
				return tx.Savepoint(func() error {
					_, err := tx.ExecContext(ctx, `INSERT INTO parents (id) VALUES (?)`, id)
					return err
				})
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	s := db.Stats()
	b.ReportMetric(float64(s.Transactions)/float64(s.Commits), "calls/commit")
}
