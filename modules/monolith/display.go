package monolith

import (
	"context"
	"fmt"

	"sagalab/modules/shared/display"
)

// Tables are the tables of store.db that a walkthrough shows, in the order
// it shows them.
func Tables() []display.Table {
	return []display.Table{
		{Name: "customers", Key: "id", Line: `id || ' ' || name || ' limit ' || ` + display.Cents("credit_limit") +
			` || ' reserved ' || ` + display.Cents("reserved") + ` || ' available ' || ` + display.Cents("credit_limit - reserved")},
		{Name: "orders", Key: "id", Line: `id || ' ' || state ||
		CASE WHEN rejection_reason != '' THEN '/' || rejection_reason ELSE '' END ||
		' total ' || ` + display.Cents("total") + ` || ' (customer ' || customer_id || ')'`},
	}
}

// TableNames names the tables Rows reads, in the order to show them.
func TableNames() []string {
	var names []string
	for _, t := range Tables() {
		names = append(names, FileName+" "+t.Name)
	}
	return names
}

// Rows reads the shown tables: "store.db orders" -> key -> row.
func (s *Store) Rows(ctx context.Context) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for _, t := range Tables() {
		name := FileName + " " + t.Name
		rows, err := s.db.Reader().QueryContext(ctx, t.Query())
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		if out[name], err = display.ReadLines(rows); err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
	}
	return out, nil
}
