package history

import (
	"context"
	"path/filepath"
	"testing"

	"sagalab/storage"
)

// A batch's positions move the view's position over every contiguous one,
// through positions that came early in an earlier batch, and keep the ones
// beyond a gap as early arrivals, whatever their order in the batch.
func TestAdvanceManyMovesOverContiguousPositions(t *testing.T) {
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), FileName), Migrations(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const topic = "things"
	for i, step := range []struct {
		batch []int64
		upto  int64
		early int
	}{
		{batch: []int64{3, 5}, upto: 0, early: 2},       // nothing from 1 yet
		{batch: []int64{2, 1, 2}, upto: 3, early: 1},    // 1, 2 and the early 3; 5 waits
		{batch: []int64{8, 4, 1, 6}, upto: 6, early: 1}, // 4, then the early 5, then 6; 8 waits
		{batch: []int64{7, 9}, upto: 9, early: 0},       // 7, the early 8, 9
		{batch: []int64{3, 9}, upto: 9, early: 0},       // old positions change nothing
	} {
		err := db.WriteTx(ctx, func(tx *storage.Tx) error { return advanceMany(ctx, tx, topic, step.batch) })
		if err != nil {
			t.Fatal(err)
		}
		var upto int64
		var early int
		if err := db.Reader().QueryRow(`SELECT coalesce((SELECT upto FROM view_positions WHERE topic = ?), 0),
			(SELECT count(*) FROM view_early WHERE topic = ?)`, topic, topic).Scan(&upto, &early); err != nil {
			t.Fatal(err)
		}
		if upto != step.upto || early != step.early {
			t.Errorf("after batch %d %v: position %d with %d early, want %d with %d", i+1, step.batch, upto, early, step.upto, step.early)
		}
	}
}
