package gateway

import (
	"context"
	"time"

	"sagalab/modules/shared/queries"
)

// View answers the valuable-customers query from a view built for it (the
// order-history view's query API).
type View interface {
	ValuableCustomers(ctx context.Context, q queries.ValuableCustomers) ([]queries.ValuableCustomer, queries.Stats, error)
}

// ValuableCustomers answers the slides' query the way via says: by
// composition (queries.ViaComposition1N, queries.ViaCompositionBulk) or
// from the view (queries.ViaView).
func (c *Composer) ValuableCustomers(ctx context.Context, via string, q queries.ValuableCustomers) ([]queries.ValuableCustomer, queries.Stats, error) {
	started := time.Now()
	var rows []queries.ValuableCustomer
	var st queries.Stats
	var err error
	switch via {
	case queries.ViaComposition1N:
		rows, st, err = c.ValuableCustomers1N(ctx, q)
	case queries.ViaCompositionBulk:
		rows, st, err = c.ValuableCustomersBulk(ctx, q)
	case queries.ViaView:
		rows, st, err = c.View.ValuableCustomers(ctx, q)
	default:
		return nil, st, queries.UnknownVia(via)
	}
	st.Elapsed = time.Since(started)
	return rows, st, err
}
