package order

import (
	"errors"
	"log/slog"
	"net/http"

	"sagalab/modules/order/contract"
	"sagalab/modules/shared/httpjson"
	"sagalab/modules/shared/rest"
)

// Routes adds the Order service's HTTP API to mux.
func (m *Module) Routes(mux *http.ServeMux, log *slog.Logger) {
	mux.Handle("POST /orders", httpjson.Handle(log, m.postOrder))
	mux.Handle("GET /orders", httpjson.Handle(log, m.getOrders))
	mux.Handle("GET /orders/{id}", httpjson.Handle(log, m.getOrder))
	mux.Handle("POST /orders/{id}/cancel", httpjson.Handle(log, m.postCancel))
}

func (m *Module) postOrder(w http.ResponseWriter, r *http.Request) error {
	req, err := rest.DecodeNewOrder(w, r)
	if err != nil {
		return err
	}
	if req.SagaMode != "" {
		if _, err := contract.ParseSagaMode(req.SagaMode); err != nil {
			return httpjson.Errorf(http.StatusBadRequest, "sagaMode: %v", err)
		}
	}
	o, pos, err := m.create(r.Context(), req.CustomerID, req.OrderTotal, contract.SagaMode(req.SagaMode))
	if errors.Is(err, ErrInvalid) {
		return httpjson.Errorf(http.StatusBadRequest, "%v", err)
	}
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusCreated, map[string]string{"orderId": o.ID, "position": pos.String()})
	return nil
}

// architecture is what the service's orders report as the architecture
// that handled them.
const architecture = "microservices"

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
	httpjson.Write(w, http.StatusOK, map[string]any{"orders": rest.OrdersOf(os, architecture)})
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
	httpjson.Write(w, http.StatusOK, rest.OrderOf(o, architecture))
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
	resp := rest.OrderOf(o, architecture)
	resp.Position = pos.String()
	httpjson.Write(w, http.StatusOK, resp)
	return nil
}
