package customer

import "sagalab/modules/shared/display"

// Tables are the tables of customer.db that tools show, in the order they
// show them. An outbox row that is also an event says which stream and
// version it is.
func Tables() []display.Table {
	outbox := display.Outbox()
	outbox.Line += ` ||
		CASE WHEN stream_id IS NOT NULL THEN ' = event ' || stream_id || ' v' || stream_version ELSE '' END`
	return []display.Table{
		outbox,
		{Name: "customer_view", Key: "id", Line: `id || ' ' || name || ' limit ' || ` + display.Cents("credit_limit") +
			` || ' reserved ' || ` + display.Cents("reserved") + ` || ' available ' || ` + display.Cents("credit_limit - reserved")},
		{Name: "reservation_view", Key: "order_id", Line: `'order ' || order_id || ' ' || state || ' ' || ` + display.Cents("amount")},
		{Name: "snapshots", Key: "stream_id", Line: `'stream ' || stream_id || ' at version ' || version`},
		display.Inbox(),
	}
}
