package order

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"sagalab/modules/order/contract"
	"sagalab/modules/shared/httpjson"
	"sagalab/modules/shared/money"
)

// Routes adds the Order service's HTTP API to mux.
func (m *Module) Routes(mux *http.ServeMux, log *slog.Logger) {
	mux.Handle("POST /orders", httpjson.Handle(log, m.postOrder))
	mux.Handle("GET /orders", httpjson.Handle(log, m.getOrders))
	mux.Handle("GET /orders/{id}", httpjson.Handle(log, m.getOrder))
	mux.Handle("POST /orders/{id}/cancel", httpjson.Handle(log, m.postCancel))
}

type createOrderRequest struct {
	CustomerID *string `json:"customerId"`
	OrderTotal *struct {
		Amount json.RawMessage `json:"amount"`
	} `json:"orderTotal"`
	SagaMode string `json:"sagaMode"`
}

func (m *Module) postOrder(w http.ResponseWriter, r *http.Request) error {
	var req createOrderRequest
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
		if _, err := contract.ParseSagaMode(req.SagaMode); err != nil {
			return httpjson.Errorf(http.StatusBadRequest, "sagaMode: %v", err)
		}
	}
	o, pos, err := m.create(r.Context(), *req.CustomerID, total, contract.SagaMode(req.SagaMode))
	if errors.Is(err, ErrInvalid) {
		return httpjson.Errorf(http.StatusBadRequest, "%v", err)
	}
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusCreated, map[string]string{"orderId": o.ID, "position": pos.String()})
	return nil
}

type orderResponse struct {
	ID              string         `json:"orderId"`
	CustomerID      string         `json:"customerId"`
	OrderTotal      money.Amount   `json:"orderTotal"`
	State           contract.State `json:"orderState"`
	RejectionReason *string        `json:"rejectionReason"`
	SagaMode        string         `json:"sagaMode"`
	// Architecture is the architecture that handled the order.
	Architecture string `json:"architecture"`
	// Position is set on a write: the position of the event it produced.
	Position string `json:"position,omitempty"`
}

func response(o contract.Order) orderResponse {
	r := orderResponse{ID: o.ID, CustomerID: o.CustomerID, OrderTotal: money.Amount{Amount: o.OrderTotal},
		State: o.State, SagaMode: string(o.SagaMode), Architecture: "microservices"}
	if o.RejectionReason != "" {
		r.RejectionReason = &o.RejectionReason
	}
	return r
}

func (m *Module) getOrders(w http.ResponseWriter, r *http.Request) error {
	var os []contract.Order
	var err error
	if customer := r.URL.Query().Get("customerId"); customer != "" {
		os, err = m.FindOrders(r.Context(), contract.Filter{CustomerID: customer})
	} else {
		os, err = m.Orders(r.Context())
	}
	if err != nil {
		return err
	}
	out := make([]orderResponse, len(os))
	for i, o := range os {
		out[i] = response(o)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"orders": out})
	return nil
}

func (m *Module) getOrder(w http.ResponseWriter, r *http.Request) error {
	o, err := m.Order(r.Context(), r.PathValue("id"))
	if errors.Is(err, contract.ErrNotFound) {
		return httpjson.Errorf(http.StatusNotFound, "order %q not found", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, response(o))
	return nil
}

func (m *Module) postCancel(w http.ResponseWriter, r *http.Request) error {
	o, pos, err := m.cancel(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, contract.ErrNotFound):
		return httpjson.Errorf(http.StatusNotFound, "order %q not found", r.PathValue("id"))
	case errors.Is(err, ErrNotApproved):
		return httpjson.Errorf(http.StatusConflict, "%v", err)
	case err != nil:
		return err
	}
	resp := response(o)
	resp.Position = pos.String()
	httpjson.Write(w, http.StatusOK, resp)
	return nil
}
