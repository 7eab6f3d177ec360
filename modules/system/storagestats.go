package system

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"sagalab/storage"
)

// DatabaseStats is one module database's write counters.
type DatabaseStats struct {
	Module string
	storage.Stats
}

// StorageStats reads every module database's write counters, by module
// name.
func (s *System) StorageStats() []DatabaseStats {
	out := make([]DatabaseStats, 0, len(s.files))
	for name, db := range s.files {
		out = append(out, DatabaseStats{Module: name, Stats: db.Stats()})
	}
	slices.SortFunc(out, func(a, b DatabaseStats) int { return strings.Compare(a.Module, b.Module) })
	return out
}

// MessagesWritten counts the messages written to every module's outbox so
// far.
func (s *System) MessagesWritten(ctx context.Context) (int64, error) {
	var total int64
	for name, db := range s.files {
		var has int
		if err := db.Reader().QueryRowContext(ctx,
			`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'outbox'`).Scan(&has); err != nil {
			return 0, fmt.Errorf("count %s messages: %w", name, err)
		}
		if has == 0 {
			continue
		}
		var n int64
		if err := db.Reader().QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM outbox`).Scan(&n); err != nil {
			return 0, fmt.Errorf("count %s messages: %w", name, err)
		}
		total += n
	}
	return total, nil
}
