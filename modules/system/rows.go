package system

import (
	"context"
	"fmt"
	"strconv"
)

// table is a table the walkthrough shows, with a query that gives each
// row's key and its one-line display.
type table struct {
	module, name, query string
}

// cents formats an integer-cents column.
func cents(col string) string { return `printf('%.2f', (` + col + `) / 100.0)` }

var shownTables = []table{
	{"order", "orders", `SELECT id, id || ' ' || state ||
		CASE WHEN rejection_reason != '' THEN '/' || rejection_reason ELSE '' END ||
		' total ' || ` + cents("total") + ` || ' (' || saga_mode || ')' FROM orders`},
	{"order", "saga_instances", `SELECT id, id || ' ' || state ||
		CASE WHEN state = 'RUNNING' THEN ' at step ' || (step + 1) ELSE '' END ||
		CASE WHEN compensating THEN ', compensating' ELSE '' END || ' (version ' || version || ')' FROM saga_instances`},
	{"order", "outbox", `SELECT printf('%08d', seq), '#' || seq || ' ' || type || ' to ' || topic || ' (' || message_id || ')' FROM outbox`},
	{"order", "inbox", `SELECT consumer || ' ' || message_id, message_id || ' ' || type || ' from ' || source FROM inbox`},
	{"customer", "outbox", `SELECT printf('%08d', seq), '#' || seq || ' ' || type || ' to ' || topic || ' (' || message_id || ')' ||
		CASE WHEN stream_id IS NOT NULL THEN ' = event ' || stream_id || ' v' || stream_version ELSE '' END FROM outbox`},
	{"customer", "customer_view", `SELECT id, id || ' ' || name || ' limit ' || ` + cents("credit_limit") +
		` || ' reserved ' || ` + cents("reserved") + ` || ' available ' || ` + cents("credit_limit - reserved") + ` FROM customer_view`},
	{"customer", "reservation_view", `SELECT order_id, 'order ' || order_id || ' ' || state || ' ' || ` + cents("amount") + ` FROM reservation_view`},
	{"customer", "snapshots", `SELECT stream_id, 'stream ' || stream_id || ' at version ' || version FROM snapshots`},
	{"customer", "inbox", `SELECT consumer || ' ' || message_id, message_id || ' ' || type || ' from ' || source FROM inbox`},
	{"history", "view_customers", `SELECT id, id || ' ' || name || ' limit ' || ` + cents("credit_limit") + ` FROM view_customers`},
	{"history", "view_orders", `SELECT id, id || ' ' || state || ' ' || ` + cents("total") + ` || ' (customer ' || customer_id || ')' FROM view_orders`},
	{"history", "inbox", `SELECT consumer || ' ' || message_id, message_id || ' ' || type || ' from ' || source FROM inbox`},
}

// Rows is what the shown tables hold: "order.db orders" -> key -> row.
type Rows map[string]map[string]string

// Rows reads the tables the walkthrough shows, from every module's file.
func (s *System) Rows(ctx context.Context) (Rows, error) {
	out := Rows{}
	for _, t := range shownTables {
		name := t.module + ".db " + t.name
		rows, err := s.files[t.module].Reader().QueryContext(ctx, t.query)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		out[name] = map[string]string{}
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read %s: %w", name, err)
			}
			out[name][k] = v
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TableNames lists the shown tables in display order.
func TableNames() []string {
	out := make([]string, len(shownTables))
	for i, t := range shownTables {
		out[i] = t.module + ".db " + t.name
	}
	return out
}

// OutboxEffect returns the effect recorded on a module's outbox row, by the
// row key Rows uses for outboxes (the sequence number).
func (s *System) OutboxEffect(ctx context.Context, module, key string) (string, error) {
	seq, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		return "", fmt.Errorf("outbox row %q: %w", key, err)
	}
	var effect string
	err = s.files[module].Reader().QueryRowContext(ctx, `SELECT effect FROM outbox WHERE seq = ?`, seq).Scan(&effect)
	if err != nil {
		return "", fmt.Errorf("effect of %s outbox row %d: %w", module, seq, err)
	}
	return effect, nil
}
