package system

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	customercontract "sagalab/modules/customer/contract"
	"sagalab/modules/history"
	ordercontract "sagalab/modules/order/contract"
)

// ErrRebuildRunning is returned by System.RebuildView while another rebuild
// of the view runs.
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

// RebuildView rebuilds the running system's order-history view from
// scratch without losing an event. The view's consumers stop (the messages
// sent meanwhile wait for them), a new history.db is built from everything
// the Customer and Order services' logs hold at that moment, it replaces the
// old file, and the consumers resume from where the new file stands: what
// they are handed again is already in it and changes nothing. Queries are
// answered from the old view until the swap. A second call while one runs
// returns ErrRebuildRunning.
func (s *System) RebuildView(ctx context.Context, progress RebuildProgress) (RebuildResult, error) {
	if s.cfg.Inspect {
		return RebuildResult{}, errors.New("rebuild the view: the data directory is open read-only")
	}
	if !s.rebuild.running.TryLock() {
		return RebuildResult{}, ErrRebuildRunning
	}
	defer s.rebuild.running.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.rebuild.life, cancel)()
	started := time.Now()

	resume, err := s.Bus.Quiesce(ctx, history.Module)
	if err != nil {
		return RebuildResult{}, fmt.Errorf("rebuild the view: %w", err)
	}
	defer resume()
	target := s.files[history.Module]
	sources := []viewSource{
		{db: s.files[customercontract.Module], module: customercontract.Module, topic: customercontract.EventsTopic},
		{db: s.files[ordercontract.Module], module: ordercontract.Module, topic: ordercontract.EventsTopic},
	}
	res, err := buildView(ctx, target.Path()+".rebuild", sources, progress)
	if err != nil {
		return res, fmt.Errorf("rebuild the view: %w", err)
	}
	if err := target.Replace(ctx, target.Path()+".rebuild"); err != nil {
		return res, fmt.Errorf("rebuild the view: %w", err)
	}
	res.Took = time.Since(started)
	s.log.Info("view rebuilt", "events", res.Events, "took", res.Took, "positions", res.Positions)
	return res, nil
}
