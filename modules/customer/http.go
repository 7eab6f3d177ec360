package customer

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"sagalab/modules/customer/contract"
	"sagalab/modules/httpjson"
	"sagalab/modules/money"
)

// Routes adds the Customer service's HTTP API to mux.
func (m *Module) Routes(mux *http.ServeMux, log *slog.Logger) {
	mux.Handle("POST /customers", httpjson.Handle(log, m.postCustomer))
	mux.Handle("GET /customers", httpjson.Handle(log, m.getCustomers))
	mux.Handle("GET /customers/{id}", httpjson.Handle(log, m.getCustomer))
}

type createCustomerRequest struct {
	Name        *string `json:"name"`
	CreditLimit *struct {
		Amount json.RawMessage `json:"amount"`
	} `json:"creditLimit"`
}

func (m *Module) postCustomer(w http.ResponseWriter, r *http.Request) error {
	var req createCustomerRequest
	if err := httpjson.Decode(w, r, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return httpjson.Errorf(http.StatusBadRequest, "name is required")
	}
	if req.CreditLimit == nil {
		return httpjson.Errorf(http.StatusBadRequest, `creditLimit is required, as {"amount": "15.00"}`)
	}
	limit, err := money.ParseJSON(req.CreditLimit.Amount)
	if err != nil {
		return httpjson.Errorf(http.StatusBadRequest, "creditLimit.amount: %v", err)
	}
	id, pos, err := m.create(r.Context(), *req.Name, limit)
	if errors.Is(err, ErrInvalid) {
		return httpjson.Errorf(http.StatusBadRequest, "%v", err)
	}
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusCreated, map[string]string{"customerId": id, "position": pos.String()})
	return nil
}

type customerResponse struct {
	ID              string       `json:"customerId"`
	Name            string       `json:"name"`
	CreditLimit     money.Amount `json:"creditLimit"`
	AvailableCredit money.Amount `json:"availableCredit"`
}

func response(c contract.Customer) customerResponse {
	return customerResponse{ID: c.ID, Name: c.Name,
		CreditLimit: money.Amount{Amount: c.CreditLimit}, AvailableCredit: money.Amount{Amount: c.AvailableCredit}}
}

func (m *Module) getCustomers(w http.ResponseWriter, r *http.Request) error {
	cs, err := m.Customers(r.Context())
	if err != nil {
		return err
	}
	out := make([]customerResponse, len(cs))
	for i, c := range cs {
		out[i] = response(c)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"customers": out})
	return nil
}

func (m *Module) getCustomer(w http.ResponseWriter, r *http.Request) error {
	c, err := m.Customer(r.Context(), r.PathValue("id"))
	if errors.Is(err, contract.ErrNotFound) {
		return httpjson.Errorf(http.StatusNotFound, "customer %q not found", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, response(c))
	return nil
}
