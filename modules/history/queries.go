package history

import (
	"context"
	"database/sql"
	"fmt"

	"sagalab/modules/shared/money"
	"sagalab/modules/shared/queries"
)

// ValuableCustomers answers the query with one indexed query on the view:
// the join the services' own databases cannot do, done on a replica built
// for it.
func (v *View) ValuableCustomers(ctx context.Context, q queries.ValuableCustomers) (out []queries.ValuableCustomer, st queries.Stats, err error) {
	err = v.db.Read(func(r *sql.DB) error {
		out, st, err = valuableCustomers(ctx, r, q)
		return err
	})
	return out, st, err
}

func valuableCustomers(ctx context.Context, r *sql.DB, q queries.ValuableCustomers) ([]queries.ValuableCustomer, queries.Stats, error) {
	after := int64(0) // orders of customers the view does not know yet have 0
	if !q.CreatedAfter.IsZero() {
		after = q.CreatedAfter.UnixNano()
	}
	rows, err := r.QueryContext(ctx, `SELECT o.customer_id, c.name, o.id, o.total
		FROM view_orders o INDEXED BY view_orders_valuable JOIN view_customers c ON c.id = o.customer_id
		WHERE o.state = ? AND o.customer_created_at > ? AND o.total > ?
		ORDER BY o.customer_id, o.id`, q.State, after, q.MoreThan)
	if err != nil {
		return nil, queries.Stats{}, fmt.Errorf("view: valuable customers: %w", err)
	}
	defer rows.Close()
	var out []queries.ValuableCustomer
	st := queries.Stats{RoundTrips: 1}
	for rows.Next() {
		var cid, name, oid string
		var total int64
		if err := rows.Scan(&cid, &name, &oid, &total); err != nil {
			return nil, st, fmt.Errorf("view: valuable customers: %w", err)
		}
		st.RowsFetched++
		out = queries.AddOrder(out, cid, name, queries.OrderRef{OrderID: oid, OrderTotal: money.Money(total)})
	}
	return out, st, rows.Err()
}
