package customer

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"sagalab/modules/customer/contract"
	"sagalab/modules/shared/httpjson"
	"sagalab/modules/shared/money"
	"sagalab/modules/shared/rest"
)

// Routes adds the Customer service's HTTP API to mux.
func (m *Module) Routes(mux *http.ServeMux, log *slog.Logger) {
	mux.Handle("POST /customers", httpjson.Handle(log, m.postCustomer))
	mux.Handle("GET /customers", httpjson.Handle(log, m.getCustomers))
	mux.Handle("GET /customers/{id}", httpjson.Handle(log, m.getCustomer))
	mux.Handle("GET /customers/{id}/events", httpjson.Handle(log, m.getEvents))
}

func (m *Module) postCustomer(w http.ResponseWriter, r *http.Request) error {
	req, err := rest.DecodeNewCustomer(w, r)
	if err != nil {
		return err
	}
	id, pos, err := m.create(r.Context(), req.Name, req.CreditLimit)
	if errors.Is(err, ErrInvalid) {
		return httpjson.Errorf(http.StatusBadRequest, "%v", err)
	}
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusCreated, map[string]string{"customerId": id, "position": pos.String()})
	return nil
}

func (m *Module) getCustomers(w http.ResponseWriter, r *http.Request) error {
	cs, err := m.Customers(r.Context())
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"customers": rest.CustomersOf(cs)})
	return nil
}

func (m *Module) getCustomer(w http.ResponseWriter, r *http.Request) error {
	if v := r.URL.Query().Get("atVersion"); v != "" {
		return m.getCustomerAt(w, r, v)
	}
	c, err := m.Customer(r.Context(), r.PathValue("id"))
	if errors.Is(err, contract.ErrNotFound) {
		return httpjson.Errorf(http.StatusNotFound, "customer %q not found", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, rest.CustomerOf(c))
	return nil
}

// getCustomerAt answers with the customer's state as of a version of its
// stream, rebuilt by replaying its events.
func (m *Module) getCustomerAt(w http.ResponseWriter, r *http.Request, v string) error {
	version, err := strconv.ParseInt(v, 10, 64)
	if err != nil || version < 1 {
		return httpjson.Errorf(http.StatusBadRequest, "atVersion: %q is not a stream version; versions start at 1, the customer's creation", v)
	}
	st, err := m.StateAt(r.Context(), r.PathValue("id"), version)
	if errors.Is(err, contract.ErrNotFound) {
		return httpjson.Errorf(http.StatusNotFound, "customer %q not found", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	if st.Version < version {
		return httpjson.Errorf(http.StatusNotFound, "customer %q has %d events, no version %d", r.PathValue("id"), st.Version, version)
	}
	open := map[string]money.Amount{}
	for id, amount := range st.Open {
		open[id] = money.Amount{Amount: amount}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{
		"customerId": st.ID, "name": st.Name, "version": st.Version,
		"creditLimit": money.Amount{Amount: st.CreditLimit}, "availableCredit": money.Amount{Amount: st.Available},
		"reservations": open,
	})
	return nil
}

func (m *Module) getEvents(w http.ResponseWriter, r *http.Request) error {
	evs, err := m.Events(r.Context(), r.PathValue("id"))
	if errors.Is(err, contract.ErrNotFound) {
		return httpjson.Errorf(http.StatusNotFound, "customer %q not found", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	type event struct {
		Version   int64           `json:"version"`
		Type      string          `json:"type"`
		Data      json.RawMessage `json:"data"`
		At        time.Time       `json:"at"`
		MessageID string          `json:"messageId"`
		Causation string          `json:"causationId,omitempty"`
	}
	out := make([]event, len(evs))
	for i, e := range evs {
		out[i] = event{Version: e.Version, Type: e.Type, Data: e.Data, At: e.At, MessageID: e.MessageID, Causation: e.CausationID}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"customerId": r.PathValue("id"), "events": out})
	return nil
}
