package system

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"sagalab/bus"
	"sagalab/modules/customer"
	customercontract "sagalab/modules/customer/contract"
	"sagalab/modules/history"
	"sagalab/modules/order"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/storage"
)

// RebuildProgress reports a rebuild's progress: events applied so far.
type RebuildProgress func(topic string, applied int)

// RebuildView rebuilds history.db in dataDir from scratch, from the events
// the Customer and Order services keep in their outboxes. The new view is
// built beside the old one and replaces it only when complete. sagalab must
// not be serving dataDir meanwhile. It returns the number of events applied.
func RebuildView(ctx context.Context, dataDir string, progress RebuildProgress) (int, error) {
	if _, err := os.Stat(filepath.Join(dataDir, order.FileName)); err != nil {
		return 0, fmt.Errorf("no sagalab data in %s (looked for %s)", dataDir, order.FileName)
	}
	sources := []struct {
		file, module, topic string
		migrations          []storage.Migration
	}{
		{customer.FileName, customercontract.Module, customercontract.EventsTopic, customer.Migrations()},
		{order.FileName, ordercontract.Module, ordercontract.EventsTopic, order.Migrations()},
	}
	target := filepath.Join(dataDir, history.FileName)
	tmp := target + ".rebuild"
	for _, f := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, fmt.Errorf("remove an old rebuild: %w", err)
		}
	}
	view, err := storage.Open(ctx, tmp, history.Migrations(), storage.Options{})
	if err != nil {
		return 0, err
	}
	total := 0
	for _, src := range sources {
		db, err := storage.Open(ctx, filepath.Join(dataDir, src.file), src.migrations, storage.Options{})
		if err != nil {
			view.Close()
			return total, err
		}
		n, err := replay(ctx, db, view, src.module, src.topic, progress)
		total += n
		db.Close()
		if err != nil {
			view.Close()
			return total, err
		}
	}
	// Closing checkpoints the WAL into the file, so the file alone is the view.
	if err := view.Close(); err != nil {
		return total, fmt.Errorf("close the rebuilt view: %w", err)
	}
	for _, f := range []string{target + "-wal", target + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return total, fmt.Errorf("remove the old view's %s: %w", filepath.Base(f), err)
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		return total, fmt.Errorf("replace the view: %w", err)
	}
	return total, nil
}

func replay(ctx context.Context, src, view *storage.DB, module, topic string, progress RebuildProgress) (int, error) {
	const batch = 2000
	applied := 0
	var after int64
	for {
		events, err := bus.ReadLog(ctx, src, module, topic, after, batch)
		if err != nil {
			return applied, err
		}
		if len(events) == 0 {
			return applied, nil
		}
		if after == 0 && events[0].Position > 1 { // the log's start was pruned (retention)
			if err := history.StartAt(ctx, view, bus.Position{Topic: topic, N: events[0].Position - 1}); err != nil {
				return applied, err
			}
		}
		if err := history.ApplyBatch(ctx, view, events); err != nil {
			return applied, fmt.Errorf("rebuild from %s: %w", topic, err)
		}
		applied += len(events)
		after = events[len(events)-1].Position
		if progress != nil {
			progress(topic, applied)
		}
	}
}
