package monolith

import (
	"errors"
	"log/slog"
	"net/http"

	customercontract "sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/httpjson"
	"sagalab/modules/shared/money"
	"sagalab/modules/shared/rest"
)

// Routes adds the monolith's HTTP API to mux: the same contract as the
// Order and Customer services together. Its orders ran no saga, so their
// sagaMode is null.
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

func (s *Store) postCustomer(w http.ResponseWriter, r *http.Request) error {
	req, err := rest.DecodeNewCustomer(w, r)
	if err != nil {
		return err
	}
	id, err := s.CreateCustomer(r.Context(), req.Name, req.CreditLimit)
	if errors.Is(err, ErrInvalid) {
		return httpjson.Errorf(http.StatusBadRequest, "%v", err)
	}
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusCreated, map[string]string{"customerId": id})
	return nil
}

func (s *Store) getCustomers(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.Customers(r.Context())
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"customers": rest.CustomersOf(cs)})
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
	httpjson.Write(w, http.StatusOK, rest.CustomerOf(c))
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
	doc := rest.OrderHistory{ID: c.ID, Name: c.Name, CreditLimit: money.Amount{Amount: c.CreditLimit},
		Orders: map[string]rest.HistoryOrder{}}
	for _, o := range orders {
		doc.Orders[o.ID] = rest.HistoryOrder{OrderID: o.ID, State: string(o.State), OrderTotal: money.Amount{Amount: o.OrderTotal}}
	}
	httpjson.Write(w, http.StatusOK, doc)
	return nil
}

func (s *Store) postOrder(w http.ResponseWriter, r *http.Request) error {
	req, err := rest.DecodeNewOrder(w, r)
	if err != nil {
		return err
	}
	if req.SagaMode != "" {
		return httpjson.Errorf(http.StatusBadRequest,
			"sagaMode: the monolith runs no saga (Create Order is one local transaction); leave it out")
	}
	o, err := s.PlaceOrder(r.Context(), req.CustomerID, req.OrderTotal)
	if errors.Is(err, ErrInvalid) {
		return httpjson.Errorf(http.StatusBadRequest, "%v", err)
	}
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusCreated, map[string]string{"orderId": o.ID})
	return nil
}

func (s *Store) getOrders(w http.ResponseWriter, r *http.Request) error {
	os, err := s.Orders(r.Context())
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"orders": rest.OrdersOf(os, Architecture)})
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
	httpjson.Write(w, http.StatusOK, rest.OrderOf(o, Architecture))
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
	httpjson.Write(w, http.StatusOK, rest.OrderOf(o, Architecture))
	return nil
}
