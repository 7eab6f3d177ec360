package cmd

import (
	"slices"

	"sagalab/cmd/internal/web"
)

// diffRows returns the rows of tables that were added, removed or changed
// between before and after ("order.db orders" -> key -> row), table by
// table in the order given, each table's rows by key.
func diffRows(tables []string, before, after map[string]map[string]string) []web.RowChange {
	var changes []web.RowChange
	for _, table := range tables {
		was, is := before[table], after[table]
		var keys []string
		for k := range is {
			keys = append(keys, k)
		}
		for k := range was {
			if _, ok := is[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			old, had := was[k]
			row, has := is[k]
			switch {
			case !had:
				changes = append(changes, web.RowChange{Table: table, Change: "+", Row: row})
			case !has:
				changes = append(changes, web.RowChange{Table: table, Change: "-", Row: old})
			case old != row:
				changes = append(changes, web.RowChange{Table: table, Change: "~", Row: row})
			}
		}
	}
	return changes
}
