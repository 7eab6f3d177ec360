package storage

import (
	"context"
	"fmt"
)

// WithPrefix returns, in order, up to limit values of the text column of
// table that start with prefix (case-sensitive). It reads a range of the
// column, so an index on it makes it quick. table and column come from
// code, never from input.
func WithPrefix(ctx context.Context, q Querier, table, column, prefix string, limit int) ([]string, error) {
	query := fmt.Sprintf(`SELECT %s FROM %s WHERE %s >= ?`, column, table, column)
	args := []any{prefix}
	if upper, ok := prefixEnd(prefix); ok {
		query += fmt.Sprintf(` AND %s < ?`, column)
		args = append(args, upper)
	}
	query += fmt.Sprintf(` ORDER BY %s LIMIT ?`, column)
	args = append(args, limit)
	out, err := QueryStrings(ctx, q, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s %s starting with %q: %w", table, column, prefix, err)
	}
	return out, nil
}

// prefixEnd returns the smallest string greater than every string that
// starts with prefix, in byte order (SQLite's BINARY collation); false when
// there is none (prefix is empty or all 0xff bytes).
func prefixEnd(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}
