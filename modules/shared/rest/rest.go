// Package rest holds the public REST API's wire shapes (DESIGN.md section 4),
// in one place for every side of it: the request bodies of POST /customers
// and POST /orders with their checks, and the customer, order and order
// history documents that the services and the monolith answer with and the
// gateway and the commands read or write. Money is {"amount": "12.34"}.
package rest

import (
	"encoding/json"
	"net/http"
	"time"

	customercontract "sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/httpjson"
	"sagalab/modules/shared/money"
)

// amountBody is money in a request: {"amount": …}, a number or a string,
// kept raw so that money.ParseJSON says what is wrong with it.
type amountBody struct {
	Amount json.RawMessage `json:"amount"`
}

// NewCustomer is a checked POST /customers body.
type NewCustomer struct {
	Name        string
	CreditLimit money.Money
}

// DecodeNewCustomer reads the body of POST /customers and checks that it
// has a name and a credit limit; its errors are *httpjson.Error.
func DecodeNewCustomer(w http.ResponseWriter, r *http.Request) (NewCustomer, error) {
	var req struct {
		Name        *string     `json:"name"`
		CreditLimit *amountBody `json:"creditLimit"`
	}
	if err := httpjson.Decode(w, r, &req); err != nil {
		return NewCustomer{}, err
	}
	if req.Name == nil {
		return NewCustomer{}, httpjson.Errorf(http.StatusBadRequest, "name: required")
	}
	if req.CreditLimit == nil {
		return NewCustomer{}, httpjson.Errorf(http.StatusBadRequest, `creditLimit: required, as {"amount": "15.00"}`)
	}
	limit, err := money.ParseJSON(req.CreditLimit.Amount)
	if err != nil {
		return NewCustomer{}, httpjson.Errorf(http.StatusBadRequest, "creditLimit.amount: %v", err)
	}
	return NewCustomer{Name: *req.Name, CreditLimit: limit}, nil
}

// NewOrder is a checked POST /orders body. SagaMode is as sent (empty when
// left out): what it may be is up to the side that runs the order.
type NewOrder struct {
	CustomerID string
	OrderTotal money.Money
	SagaMode   string
}

// DecodeNewOrder reads the body of POST /orders and checks that it has a
// customer and a total of more than 0.00; its errors are *httpjson.Error.
func DecodeNewOrder(w http.ResponseWriter, r *http.Request) (NewOrder, error) {
	var req struct {
		CustomerID *string     `json:"customerId"`
		OrderTotal *amountBody `json:"orderTotal"`
		SagaMode   string      `json:"sagaMode"`
	}
	if err := httpjson.Decode(w, r, &req); err != nil {
		return NewOrder{}, err
	}
	if req.CustomerID == nil {
		return NewOrder{}, httpjson.Errorf(http.StatusBadRequest, "customerId: required")
	}
	if req.OrderTotal == nil {
		return NewOrder{}, httpjson.Errorf(http.StatusBadRequest, `orderTotal: required, as {"amount": "12.34"}`)
	}
	total, err := money.ParseJSON(req.OrderTotal.Amount)
	if err != nil {
		return NewOrder{}, httpjson.Errorf(http.StatusBadRequest, "orderTotal.amount: %v", err)
	}
	if total == 0 {
		return NewOrder{}, httpjson.Errorf(http.StatusBadRequest, "orderTotal.amount: must be more than 0.00")
	}
	return NewOrder{CustomerID: *req.CustomerID, OrderTotal: total, SagaMode: req.SagaMode}, nil
}

// Customer is a customer as GET /customers/{id} answers it.
type Customer struct {
	ID              string       `json:"customerId"`
	Name            string       `json:"name"`
	CreditLimit     money.Amount `json:"creditLimit"`
	AvailableCredit money.Amount `json:"availableCredit"`
}

// CustomerOf returns c as the API gives it.
func CustomerOf(c customercontract.Customer) Customer {
	return Customer{ID: c.ID, Name: c.Name,
		CreditLimit: money.Amount{Amount: c.CreditLimit}, AvailableCredit: money.Amount{Amount: c.AvailableCredit}}
}

// CustomersOf returns cs as GET /customers lists them.
func CustomersOf(cs []customercontract.Customer) []Customer {
	out := make([]Customer, len(cs))
	for i, c := range cs {
		out[i] = CustomerOf(c)
	}
	return out
}

// Contract returns the customer c describes.
func (c Customer) Contract() customercontract.Customer {
	return customercontract.Customer{ID: c.ID, Name: c.Name, CreditLimit: c.CreditLimit.Amount,
		AvailableCredit: c.AvailableCredit.Amount}
}

// Order is an order as GET /orders/{id} answers it.
type Order struct {
	ID              string              `json:"orderId"`
	CustomerID      string              `json:"customerId"`
	OrderTotal      money.Amount        `json:"orderTotal"`
	State           ordercontract.State `json:"orderState"`
	RejectionReason *string             `json:"rejectionReason"`
	// SagaMode is null for an order that ran no saga (the monolith's).
	SagaMode *string `json:"sagaMode"`
	// Architecture is the architecture that handled the order.
	Architecture string `json:"architecture,omitempty"`
	// Position is set on a write: the position of the event it produced.
	Position string `json:"position,omitempty"`
	// CreatedAt and UpdatedAt are set by `sagalab order list --json` only.
	CreatedAt time.Time `json:"createdAt,omitzero"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// OrderOf returns o, handled by architecture, as the API gives it.
func OrderOf(o ordercontract.Order, architecture string) Order {
	r := Order{ID: o.ID, CustomerID: o.CustomerID, OrderTotal: money.Amount{Amount: o.OrderTotal},
		State: o.State, Architecture: architecture}
	if o.RejectionReason != "" {
		r.RejectionReason = &o.RejectionReason
	}
	if o.SagaMode != "" {
		mode := string(o.SagaMode)
		r.SagaMode = &mode
	}
	return r
}

// OrdersOf returns os, handled by architecture, as GET /orders lists them.
func OrdersOf(os []ordercontract.Order, architecture string) []Order {
	out := make([]Order, len(os))
	for i, o := range os {
		out[i] = OrderOf(o, architecture)
	}
	return out
}

// Contract returns the order o describes.
func (o Order) Contract() ordercontract.Order {
	out := ordercontract.Order{ID: o.ID, CustomerID: o.CustomerID, OrderTotal: o.OrderTotal.Amount, State: o.State}
	if o.RejectionReason != nil {
		out.RejectionReason = *o.RejectionReason
	}
	if o.SagaMode != nil {
		out.SagaMode = ordercontract.SagaMode(*o.SagaMode)
	}
	return out
}

// OrderHistory is GET /customers/{id}/orderhistory's document: a customer
// and its orders by id. Its fields stand in the order of their names, as
// they did when it was written as a map.
type OrderHistory struct {
	CreditLimit money.Amount            `json:"creditLimit"`
	ID          string                  `json:"id"`
	Name        string                  `json:"name"`
	Orders      map[string]HistoryOrder `json:"orders"`
}

// HistoryOrder is one order of an OrderHistory.
type HistoryOrder struct {
	OrderID    string       `json:"orderId"`
	State      string       `json:"state"`
	OrderTotal money.Amount `json:"orderTotal"`
}
