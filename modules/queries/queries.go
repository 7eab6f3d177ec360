// Package queries defines the cross-service queries sagalab answers in more
// than one way, so that each way can be checked to give the same rows.
package queries

import (
	"time"

	"sagalab/modules/money"
	ordercontract "sagalab/modules/order/contract"
)

// ValuableCustomers is the slides' "recent, valuable customers" query:
//
//	SELECT * FROM CUSTOMER c, ORDER o
//	WHERE c.id = o.customer_id AND o.ORDER_TOTAL > ? AND o.STATE = ? AND c.CREATION_DATE > ?
type ValuableCustomers struct {
	CreatedAfter time.Time
	State        ordercontract.State
	MoreThan     money.Money
}

// ValuableCustomer is one row: a customer and the orders that qualify it.
type ValuableCustomer struct {
	CustomerID string      `json:"customerId"`
	Name       string      `json:"name"`
	Orders     []OrderRef  `json:"orders"`
	Total      money.Money `json:"total"`
}

// OrderRef is an order in a row.
type OrderRef struct {
	OrderID    string      `json:"orderId"`
	OrderTotal money.Money `json:"orderTotal"`
}

// Stats is what answering a query cost.
type Stats struct {
	// RoundTrips counts calls across a service boundary.
	RoundTrips int `json:"roundTrips"`
	// RowsFetched counts the rows those calls returned.
	RowsFetched int           `json:"rowsFetched"`
	Elapsed     time.Duration `json:"-"`
}
