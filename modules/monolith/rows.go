package monolith

import (
	"context"
	"fmt"
)

// cents formats an integer-cents column.
func cents(col string) string { return `printf('%.2f', (` + col + `) / 100.0)` }

// shown are the tables a walkthrough shows, each with a query that gives
// every row's key and its one-line display.
var shown = []struct{ name, query string }{
	{"customers", `SELECT id, id || ' ' || name || ' limit ' || ` + cents("credit_limit") +
		` || ' reserved ' || ` + cents("reserved") + ` || ' available ' || ` + cents("credit_limit - reserved") + ` FROM customers`},
	{"orders", `SELECT id, id || ' ' || state ||
		CASE WHEN rejection_reason != '' THEN '/' || rejection_reason ELSE '' END ||
		' total ' || ` + cents("total") + ` || ' (customer ' || customer_id || ')' FROM orders`},
}

// TableNames names the tables Rows reads, in the order to show them.
func TableNames() []string {
	names := make([]string, len(shown))
	for i, t := range shown {
		names[i] = FileName + " " + t.name
	}
	return names
}

// Rows reads the shown tables: "store.db orders" -> key -> row.
func (s *Store) Rows(ctx context.Context) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for _, t := range shown {
		name := FileName + " " + t.name
		rows, err := s.db.Reader().QueryContext(ctx, t.query)
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
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
	}
	return out, nil
}
