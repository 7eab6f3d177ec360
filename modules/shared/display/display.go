// Package display is how a service describes its tables for people to
// look at: which tables, and how each row reads as one line. A service
// lists its tables next to its migrations; tools (the walkthrough, a web
// page) read them with a renderer of their own and know no service's
// schema.
package display

import "database/sql"

// Table is one table a service shows. Key and Line are SQL expressions
// over the table's columns: Key names a row (unique in the table, and in
// the order rows are listed), Line is the row as one line of text.
type Table struct {
	Name string
	Key  string
	Line string
}

// Query returns the SELECT that reads the table's rows as (key, line).
func (t Table) Query() string { return "SELECT " + t.Key + ", " + t.Line + " FROM " + t.Name }

// Cents shows an integer column of cents as an amount, such as 12.34.
func Cents(col string) string { return `printf('%.2f', (` + col + `) / 100.0)` }

// OutboxKey is the key Outbox gives each row: its sequence number, padded
// so that keys sort as the rows were written.
const OutboxKey = `printf('%08d', seq)`

// Outbox shows a module's outbox (bus.Migrations): each message by its
// sequence number, type, topic and id.
func Outbox() Table {
	return Table{Name: "outbox", Key: OutboxKey,
		Line: `'#' || seq || ' ' || type || ' to ' || topic || ' (' || message_id || ')'`}
}

// Inbox shows a module's inbox (bus.Migrations): each message a consumer
// handled, by id, type and source.
func Inbox() Table {
	return Table{Name: "inbox", Key: `consumer || ' ' || message_id`,
		Line: `message_id || ' ' || type || ' from ' || source`}
}

// ReadLines reads the rows of a table's Query, (key, line) each, and
// closes rows: key -> line.
func ReadLines(rows *sql.Rows) (map[string]string, error) {
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}
