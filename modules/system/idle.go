package system

import (
	"context"
	"fmt"
	"time"
)

// WaitIdle waits until every message sent so far has been handled.
func (s *System) WaitIdle(ctx context.Context) error {
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !s.Bus.Idle() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the messages in flight: %w", context.Cause(ctx))
		case <-tick.C:
		}
	}
	return nil
}
