package system

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"sagalab/bus"
	"sagalab/modules/customer"
	customercontract "sagalab/modules/customer/contract"
	"sagalab/modules/history"
	"sagalab/modules/order"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/storage"
)

// RebuildStatus is how far a rebuild of the view has got.
type RebuildStatus struct {
	// Topic is the log being replayed.
	Topic string
	// Applied counts the events applied so far, from every log; Total is
	// how many the rebuild applies in all.
	Applied, Total int
}

// RebuildProgress is told about a rebuild's progress after each batch.
type RebuildProgress func(RebuildStatus)

// RebuildResult is what a rebuild did.
type RebuildResult struct {
	// Events is the number of events applied.
	Events int `json:"events"`
	// Positions is where the rebuilt view stands on each topic: delivery
	// carries on from there.
	Positions []bus.Position `json:"-"`
	Took      time.Duration  `json:"-"`
}

// viewSource is one log the view is built from: a module's event log of
// topic.
type viewSource struct {
	module, topic string
	log           eventLog
}

// eventLog is a module's event log: its outbox (bus.ReadLog), in this
// process or read over HTTP from the module's own (remoteLog).
type eventLog interface {
	// End returns how many events the log holds and the position of its
	// last one (0 for none).
	End(ctx context.Context) (count int, last int64, err error)
	// Read returns up to limit events after position after, in order.
	Read(ctx context.Context, after int64, limit int) ([]bus.Envelope, error)
}

// localLog is the event log of topic in a module's database.
type localLog struct {
	db            *storage.DB
	module, topic string
}

func (l localLog) End(ctx context.Context) (int, int64, error) { return bus.LogEnd(ctx, l.db, l.topic) }

func (l localLog) Read(ctx context.Context, after int64, limit int) ([]bus.Envelope, error) {
	return bus.ReadLog(ctx, l.db, l.module, l.topic, after, limit)
}

// localSource is the view's source topic of module, read from db.
func localSource(db *storage.DB, module, topic string) viewSource {
	return viewSource{module: module, topic: topic, log: localLog{db: db, module: module, topic: topic}}
}

// RebuildView rebuilds history.db in dataDir from scratch, from the events
// the Customer and Order services keep in their outboxes, while no sagalab
// runs on dataDir: it takes the directory's lock, and fails with a
// *storage.LockedError if a server holds it (System.RebuildView rebuilds a
// running server's view). The new view is built beside the old one and
// replaces it only when complete.
func RebuildView(ctx context.Context, dataDir string, progress RebuildProgress) (RebuildResult, error) {
	started := time.Now()
	if _, err := os.Stat(filepath.Join(dataDir, order.FileName)); err != nil {
		return RebuildResult{}, fmt.Errorf("no sagalab data in %s (looked for %s)", dataDir, order.FileName)
	}
	lock, err := storage.LockDir(dataDir)
	if err != nil {
		return RebuildResult{}, fmt.Errorf("rebuild the view: %w", err)
	}
	defer lock.Unlock()
	var sources []viewSource
	var dbs []*storage.DB
	defer func() {
		for _, db := range dbs {
			db.Close()
		}
	}()
	for _, src := range []struct {
		file, module, topic string
		migrations          []storage.Migration
	}{
		{customer.FileName, customercontract.Module, customercontract.EventsTopic, customer.Migrations()},
		{order.FileName, ordercontract.Module, ordercontract.EventsTopic, order.Migrations()},
	} {
		db, err := storage.Open(ctx, filepath.Join(dataDir, src.file), src.migrations, storage.Options{})
		if err != nil {
			return RebuildResult{}, err
		}
		dbs = append(dbs, db)
		sources = append(sources, localSource(db, src.module, src.topic))
	}
	target := filepath.Join(dataDir, history.FileName)
	res, err := buildView(ctx, target+".rebuild", sources, progress)
	if err != nil {
		return res, err
	}
	for _, f := range []string{target + "-wal", target + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return res, fmt.Errorf("remove the old view's %s: %w", filepath.Base(f), err)
		}
	}
	if err := os.Rename(target+".rebuild", target); err != nil {
		return res, fmt.Errorf("replace the view: %w", err)
	}
	res.Took = time.Since(started)
	return res, nil
}

// buildView writes a complete view, from every event the sources' logs
// hold when it starts, into a new file at path, and closes it.
func buildView(ctx context.Context, path string, sources []viewSource, progress RebuildProgress) (RebuildResult, error) {
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return RebuildResult{}, fmt.Errorf("remove an old rebuild: %w", err)
		}
	}
	ends := make([]int64, len(sources))
	st := RebuildStatus{}
	for i, src := range sources {
		n, last, err := src.log.End(ctx)
		if err != nil {
			return RebuildResult{}, err
		}
		ends[i], st.Total = last, st.Total+n
	}
	view, err := storage.Open(ctx, path, history.Migrations(), storage.Options{})
	if err != nil {
		return RebuildResult{}, err
	}
	var res RebuildResult
	for i, src := range sources {
		st.Topic = src.topic
		if err := replay(ctx, src, ends[i], view, &st, progress); err != nil {
			view.Close()
			os.Remove(path)
			return res, err
		}
		res.Positions = append(res.Positions, bus.Position{Topic: src.topic, N: ends[i]})
	}
	res.Events = st.Applied
	// Closing checkpoints the log into the file, so the file alone is the view.
	if err := view.Close(); err != nil {
		os.Remove(path)
		return res, fmt.Errorf("close the rebuilt view: %w", err)
	}
	return res, nil
}

// replay applies the events of src's log up to position end to view.
func replay(ctx context.Context, src viewSource, end int64, view *storage.DB, st *RebuildStatus, progress RebuildProgress) error {
	const batch = 2000
	var after int64
	for after < end {
		events, err := src.log.Read(ctx, after, batch)
		if err != nil {
			return err
		}
		for len(events) > 0 && events[len(events)-1].Position > end { // written since the rebuild began
			events = events[:len(events)-1]
		}
		if len(events) == 0 {
			return nil
		}
		if after == 0 && events[0].Position > 1 { // the log's start was pruned (retention)
			if err := history.StartAt(ctx, view, bus.Position{Topic: src.topic, N: events[0].Position - 1}); err != nil {
				return err
			}
		}
		if err := history.ApplyBatch(ctx, view, events); err != nil {
			return fmt.Errorf("rebuild from %s: %w", src.topic, err)
		}
		st.Applied += len(events)
		after = events[len(events)-1].Position
		if progress != nil {
			progress(*st)
		}
	}
	return nil
}
