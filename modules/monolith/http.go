package monolith

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	customercontract "sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/httpjson"
	"sagalab/modules/shared/money"
)

// Routes adds the monolith's HTTP API to mux: the same contract as the
// Order and Customer services together.
func (s *Store) Routes(mux *http.ServeMux, log *slog.Logger) {
	mux.Handle("POST /customers", httpjson.Handle(log, s.postCustomer))
	mux.Handle("GET /customers", httpjson.Handle(log, s.getCustomers))
	mux.Handle("GET /customers/{id}", httpjson.Handle(log, s.getCustomer))
	mux.Handle("GET /customers/{id}/orderhistory", httpjson.Handle(log, s.getOrderHistory))
	mux.Handle("POST /orders", httpjson.Handle(log, s.postOrder))
	mux.Handle("GET /orders", httpjson.Handle(log, s.getOrders))
	mux.Handle("GET /orders/{id}", httpjson.Handle(log, s.getOrder))
	mux.Handle("POST /orders/{id}/cancel", httpjson.Handle(log, s.postCancel))
}

type amountBody struct {
	Amount json.RawMessage `json:"amount"`
}

func (s *Store) postCustomer(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name        *string     `json:"name"`
		CreditLimit *amountBody `json:"creditLimit"`
	}
	if err := httpjson.Decode(w, r, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return httpjson.Errorf(http.StatusBadRequest, "name: required")
	}
	if req.CreditLimit == nil {
		return httpjson.Errorf(http.StatusBadRequest, `creditLimit: required, as {"amount": "15.00"}`)
	}
	limit, err := money.ParseJSON(req.CreditLimit.Amount)
	if err != nil {
		return httpjson.Errorf(http.StatusBadRequest, "creditLimit.amount: %v", err)
	}
	id, err := s.CreateCustomer(r.Context(), *req.Name, limit)
	if errors.Is(err, ErrInvalid) {
		return httpjson.Errorf(http.StatusBadRequest, "%v", err)
	}
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusCreated, map[string]string{"customerId": id})
	return nil
}

type customerResponse struct {
	ID              string       `json:"customerId"`
	Name            string       `json:"name"`
	CreditLimit     money.Amount `json:"creditLimit"`
	AvailableCredit money.Amount `json:"availableCredit"`
}

func customerJSON(c customercontract.Customer) customerResponse {
	return customerResponse{ID: c.ID, Name: c.Name,
		CreditLimit: money.Amount{Amount: c.CreditLimit}, AvailableCredit: money.Amount{Amount: c.AvailableCredit}}
}

func (s *Store) getCustomers(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.Customers(r.Context())
	if err != nil {
		return err
	}
	out := make([]customerResponse, len(cs))
	for i, c := range cs {
		out[i] = customerJSON(c)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"customers": out})
	return nil
}

func (s *Store) getCustomer(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Customer(r.Context(), r.PathValue("id"))
	if errors.Is(err, customercontract.ErrNotFound) {
		return httpjson.Errorf(http.StatusNotFound, "customer %q not found", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, customerJSON(c))
	return nil
}

// getOrderHistory answers the order history document from the one
// database: no view to wait for, it is current when it answers.
func (s *Store) getOrderHistory(w http.ResponseWriter, r *http.Request) error {
	c, orders, err := s.OrderHistory(r.Context(), r.PathValue("id"))
	if errors.Is(err, customercontract.ErrNotFound) {
		return httpjson.Errorf(http.StatusNotFound, "customer %q not found", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	type entry struct {
		OrderID    string       `json:"orderId"`
		State      string       `json:"state"`
		OrderTotal money.Amount `json:"orderTotal"`
	}
	out := map[string]entry{}
	for _, o := range orders {
		out[o.ID] = entry{OrderID: o.ID, State: string(o.State), OrderTotal: money.Amount{Amount: o.OrderTotal}}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{
		"id": c.ID, "name": c.Name, "creditLimit": money.Amount{Amount: c.CreditLimit}, "orders": out,
	})
	return nil
}

func (s *Store) postOrder(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		CustomerID *string     `json:"customerId"`
		OrderTotal *amountBody `json:"orderTotal"`
		SagaMode   string      `json:"sagaMode"`
	}
	if err := httpjson.Decode(w, r, &req); err != nil {
		return err
	}
	if req.CustomerID == nil {
		return httpjson.Errorf(http.StatusBadRequest, "customerId: required")
	}
	if req.OrderTotal == nil {
		return httpjson.Errorf(http.StatusBadRequest, `orderTotal: required, as {"amount": "12.34"}`)
	}
	total, err := money.ParseJSON(req.OrderTotal.Amount)
	if err != nil {
		return httpjson.Errorf(http.StatusBadRequest, "orderTotal.amount: %v", err)
	}
	if total == 0 {
		return httpjson.Errorf(http.StatusBadRequest, "orderTotal.amount: must be more than 0.00")
	}
	if req.SagaMode != "" {
		return httpjson.Errorf(http.StatusBadRequest,
			"sagaMode: the monolith runs no saga (Create Order is one local transaction); leave it out")
	}
	o, err := s.PlaceOrder(r.Context(), *req.CustomerID, total)
	if errors.Is(err, ErrInvalid) {
		return httpjson.Errorf(http.StatusBadRequest, "%v", err)
	}
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusCreated, map[string]string{"orderId": o.ID})
	return nil
}

type orderResponse struct {
	ID              string                  `json:"orderId"`
	CustomerID      string                  `json:"customerId"`
	OrderTotal      money.Amount            `json:"orderTotal"`
	State           ordercontract.State     `json:"orderState"`
	RejectionReason *string                 `json:"rejectionReason"`
	SagaMode        *ordercontract.SagaMode `json:"sagaMode"`
	Architecture    string                  `json:"architecture"`
}

// orderJSON answers an order; it ran no saga, so its sagaMode is null.
func orderJSON(o ordercontract.Order) orderResponse {
	r := orderResponse{ID: o.ID, CustomerID: o.CustomerID, OrderTotal: money.Amount{Amount: o.OrderTotal},
		State: o.State, Architecture: Architecture}
	if o.RejectionReason != "" {
		r.RejectionReason = &o.RejectionReason
	}
	return r
}

func (s *Store) getOrders(w http.ResponseWriter, r *http.Request) error {
	os, err := s.Orders(r.Context())
	if err != nil {
		return err
	}
	out := make([]orderResponse, len(os))
	for i, o := range os {
		out[i] = orderJSON(o)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"orders": out})
	return nil
}

func (s *Store) getOrder(w http.ResponseWriter, r *http.Request) error {
	o, err := s.Order(r.Context(), r.PathValue("id"))
	if errors.Is(err, ordercontract.ErrNotFound) {
		return httpjson.Errorf(http.StatusNotFound, "order %q not found", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, orderJSON(o))
	return nil
}

func (s *Store) postCancel(w http.ResponseWriter, r *http.Request) error {
	o, err := s.Cancel(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, ordercontract.ErrNotFound):
		return httpjson.Errorf(http.StatusNotFound, "order %q not found", r.PathValue("id"))
	case errors.Is(err, ErrNotApproved):
		return httpjson.Errorf(http.StatusConflict, "%v", err)
	case err != nil:
		return err
	}
	httpjson.Write(w, http.StatusOK, orderJSON(o))
	return nil
}
