package system

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"sagalab/bus"
	customercontract "sagalab/modules/customer/contract"
	"sagalab/modules/history"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/storage"
)

// ErrRebuildRunning is returned by System.RebuildView and
// Module.RebuildView while another rebuild of the view runs.
var ErrRebuildRunning = errors.New("a rebuild of the view is already running")

// viewRebuild lets one rebuild of the view run at a time, and Close stop it.
type viewRebuild struct {
	running sync.Mutex
	life    context.Context // ends with Close
	end     context.CancelFunc
}

func (r *viewRebuild) init() { r.life, r.end = context.WithCancel(context.Background()) }

// stop cancels a running rebuild and waits for it to end.
func (r *viewRebuild) stop() {
	r.end()
	r.running.Lock()
	defer r.running.Unlock()
}

// run rebuilds the view in target from sources while b delivers: the
// view's consumers stop (the messages sent meanwhile wait for them, not
// acknowledged), a new file is built from everything the sources' logs
// hold at that moment, it replaces target, and the consumers resume from
// where the new file stands: what they are handed again is already in it
// and changes nothing. Queries are answered from the old view until the
// swap; if a log cannot be read, nothing is swapped. A second call while
// one runs returns ErrRebuildRunning.
func (r *viewRebuild) run(ctx context.Context, log *slog.Logger, b *bus.Bus, target *storage.DB,
	sources []viewSource, progress RebuildProgress) (RebuildResult, error) {
	if !r.running.TryLock() {
		return RebuildResult{}, ErrRebuildRunning
	}
	defer r.running.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(r.life, cancel)()
	started := time.Now()

	resume, err := b.Quiesce(ctx, history.Module)
	if err != nil {
		return RebuildResult{}, fmt.Errorf("rebuild the view: %w", err)
	}
	defer resume()
	res, err := buildView(ctx, target.Path()+".rebuild", sources, progress)
	if err != nil {
		return res, fmt.Errorf("rebuild the view: %w", err)
	}
	if err := target.Replace(ctx, target.Path()+".rebuild"); err != nil {
		return res, fmt.Errorf("rebuild the view: %w", err)
	}
	res.Took = time.Since(started)
	log.Info("view rebuilt", "events", res.Events, "took", res.Took, "positions", res.Positions)
	return res, nil
}

// RebuildView rebuilds the running system's order-history view from
// scratch without losing an event, from the Customer and Order services'
// logs (see viewRebuild.run). A second call while one runs returns
// ErrRebuildRunning.
func (s *System) RebuildView(ctx context.Context, progress RebuildProgress) (RebuildResult, error) {
	if s.cfg.Inspect {
		return RebuildResult{}, errors.New("rebuild the view: the data directory is open read-only")
	}
	sources := []viewSource{
		localSource(s.files[customercontract.Module], customercontract.Module, customercontract.EventsTopic),
		localSource(s.files[ordercontract.Module], ordercontract.Module, ordercontract.EventsTopic),
	}
	return s.rebuild.run(ctx, s.log, s.Bus, s.files[history.Module], sources, progress)
}
