package order

import "sagalab/modules/shared/display"

// Tables are the tables of order.db that tools show, in the order they
// show them.
func Tables() []display.Table {
	return []display.Table{
		{Name: "orders", Key: "id", Line: `id || ' ' || state ||
		CASE WHEN rejection_reason != '' THEN '/' || rejection_reason ELSE '' END ||
		' total ' || ` + display.Cents("total") + ` || ' (' || saga_mode || ')'`},
		{Name: "saga_instances", Key: "id", Line: `id || ' ' || state ||
		CASE WHEN state = 'RUNNING' THEN ' at step ' || (step + 1) ELSE '' END ||
		CASE WHEN compensating THEN ', compensating' ELSE '' END || ' (version ' || version || ')'`},
		display.Outbox(),
		display.Inbox(),
	}
}
