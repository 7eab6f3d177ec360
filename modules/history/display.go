package history

import "sagalab/modules/shared/display"

// Tables are the tables of history.db that tools show, in the order they
// show them.
func Tables() []display.Table {
	return []display.Table{
		{Name: "view_customers", Key: "id", Line: `id || ' ' || name || ' limit ' || ` + display.Cents("credit_limit")},
		{Name: "view_orders", Key: "id", Line: `id || ' ' || state || ' ' || ` + display.Cents("total") +
			` || ' (customer ' || customer_id || ')'`},
		display.Inbox(),
	}
}
