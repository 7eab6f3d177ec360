package storage

import "context"

// Scanner is one row to read: a *sql.Row or a *sql.Rows.
type Scanner = interface{ Scan(dest ...any) error }

// QueryAll runs query and reads each row it selects with scan, in the
// order the rows come.
func QueryAll[T any](ctx context.Context, q Querier, scan func(Scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// QueryStrings runs query, which selects one text column, and returns its
// values in the order the rows come.
func QueryStrings(ctx context.Context, q Querier, query string, args ...any) ([]string, error) {
	return QueryAll(ctx, q, scanString, query, args...)
}

func scanString(row Scanner) (string, error) {
	var s string
	err := row.Scan(&s)
	return s, err
}
