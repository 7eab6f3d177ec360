// Package queries defines the cross-service queries sagalab answers in more
// than one way, so that each way can be checked to give the same rows.
package queries

import (
	"slices"
	"time"

	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
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
	CustomerID string
	Name       string
	Orders     []OrderRef
	Total      money.Money
}

// OrderRef is an order in a row.
type OrderRef struct {
	OrderID    string
	OrderTotal money.Money
}

// Stats is what answering a query cost.
type Stats struct {
	// RoundTrips counts calls across a service boundary.
	RoundTrips int `json:"roundTrips"`
	// RowsFetched counts the rows those calls returned.
	RowsFetched int           `json:"rowsFetched"`
	Elapsed     time.Duration `json:"-"`
}

// AddOrder adds one row of a join of customers and their orders, sorted by
// customer, to out: the order, under its customer's row (a new one when
// the customer is not the last one's).
func AddOrder(out []ValuableCustomer, customerID, name string, o OrderRef) []ValuableCustomer {
	if n := len(out); n == 0 || out[n-1].CustomerID != customerID {
		out = append(out, ValuableCustomer{CustomerID: customerID, Name: name})
	}
	last := &out[len(out)-1]
	last.Orders = append(last.Orders, o)
	last.Total += o.OrderTotal
	return out
}

// Same reports whether two answers have the same rows in the same order.
func Same(a, b []ValuableCustomer) bool {
	return slices.EqualFunc(a, b, func(x, y ValuableCustomer) bool {
		return x.CustomerID == y.CustomerID && x.Name == y.Name && x.Total == y.Total && slices.Equal(x.Orders, y.Orders)
	})
}
