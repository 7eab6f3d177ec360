package classroom

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"sagalab/bus"
	"sagalab/modules/shared/display"
	"sagalab/modules/system"
)

// Rows is what the shown tables hold: "order.db orders" -> key -> row.
type Rows map[string]map[string]string

// ReadRows reads the tables every module shows (system.Displays).
func ReadRows(ctx context.Context, sys *system.System) (Rows, error) {
	out := Rows{}
	for _, m := range system.Displays() {
		for _, t := range m.Tables {
			name := m.Module + ".db " + t.Name
			rows, err := sys.Query(ctx, m.Module, t.Query())
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", name, err)
			}
			if out[name], err = display.ReadLines(rows); err != nil {
				return nil, fmt.Errorf("read %s: %w", name, err)
			}
		}
	}
	return out, nil
}

// TableNames lists the shown tables in display order.
func TableNames() []string {
	var out []string
	for _, m := range system.Displays() {
		for _, t := range m.Tables {
			out = append(out, m.Module+".db "+t.Name)
		}
	}
	return out
}

// OutboxRow returns a module's outbox row, by the row key ReadRows gives
// outbox rows (the sequence number), as a trace reads it.
func OutboxRow(ctx context.Context, sys *system.System, module, key string) (bus.Traffic, error) {
	seq, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		return bus.Traffic{}, fmt.Errorf("outbox row %q: %w", key, err)
	}
	rows, err := sys.Query(ctx, module, `SELECT message_id, type, causation_id, created_at, effect
		FROM outbox WHERE seq = ?`, seq)
	if err != nil {
		return bus.Traffic{}, fmt.Errorf("%s outbox row %d: %w", module, seq, err)
	}
	defer rows.Close()
	if !rows.Next() {
		err := rows.Err()
		if err == nil {
			err = sql.ErrNoRows
		}
		return bus.Traffic{}, fmt.Errorf("%s outbox row %d: %w", module, seq, err)
	}
	t := bus.Traffic{Module: module, Sent: true, Envelope: bus.Envelope{Source: module, Seq: seq}}
	var created int64
	if err := rows.Scan(&t.ID, &t.Type, &t.CausationID, &created, &t.Effect); err != nil {
		return bus.Traffic{}, fmt.Errorf("%s outbox row %d: %w", module, seq, err)
	}
	t.CreatedAt = time.Unix(0, created)
	t.At = t.CreatedAt
	return t, nil
}
