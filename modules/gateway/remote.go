package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	customercontract "sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/queries"
	"sagalab/modules/shared/rest"
)

// The services' query APIs over HTTP, for the composer of a gateway in
// front of services in other processes: each call is a real round trip.

// UnavailableError is a service that did not answer, or answered with an
// error the gateway cannot pass on.
type UnavailableError struct {
	Service string
	Err     error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("the %s service is unavailable: %v", e.Service, unwrapURLError(e.Err))
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// remote calls one service's HTTP API.
type remote struct {
	name   string
	base   *url.URL
	client *http.Client
}

// errNowhere is a service whose address the gateway was not given.
var errNowhere = errors.New("the gateway does not know where it is")

// get decodes the answer to GET path into v. It returns notFound for a
// 404 and an *UnavailableError when the service does not answer, or
// answers another status than 200.
func (r remote) get(ctx context.Context, path string, query url.Values, v any, notFound error) error {
	status, body, err := r.do(ctx, path, query)
	switch {
	case err != nil:
		return err
	case status == http.StatusNotFound && notFound != nil:
		return notFound
	case status != http.StatusOK:
		return &UnavailableError{Service: r.name, Err: fmt.Errorf("GET %s: %d %s", path, status, http.StatusText(status))}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("read the %s service's answer to GET %s: %w", r.name, path, err)
	}
	return nil
}

// getStatus decodes the answer to GET path into v, whatever its status,
// and returns the status.
func (r remote) getStatus(ctx context.Context, path string, v any) (int, error) {
	status, body, err := r.do(ctx, path, nil)
	if err != nil {
		return 0, err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return status, &UnavailableError{Service: r.name, Err: fmt.Errorf("GET %s: %d, not JSON", path, status)}
	}
	return status, nil
}

// do sends GET path?query and reads the answer. It returns an
// *UnavailableError when the service does not answer.
func (r remote) do(ctx context.Context, path string, query url.Values) (int, []byte, error) {
	if r.base == nil {
		return 0, nil, &UnavailableError{Service: r.name, Err: errNowhere}
	}
	u := r.base.JoinPath(path)
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, nil, fmt.Errorf("ask the %s service: %w", r.name, err)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, nil, &UnavailableError{Service: r.name, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, nil, &UnavailableError{Service: r.name, Err: err}
	}
	return resp.StatusCode, body, nil
}

// remoteCustomers is the Customer service's query API over HTTP.
type remoteCustomers struct{ remote }

var _ customercontract.Queries = remoteCustomers{}

func (r remoteCustomers) Customer(ctx context.Context, id string) (customercontract.Customer, error) {
	var c rest.Customer
	err := r.get(ctx, "/customers/"+url.PathEscape(id), nil, &c, customercontract.ErrNotFound)
	return c.Contract(), err
}

func (r remoteCustomers) Customers(ctx context.Context) ([]customercontract.Customer, error) {
	var all struct{ Customers []rest.Customer }
	if err := r.get(ctx, "/customers", nil, &all, nil); err != nil {
		return nil, err
	}
	out := make([]customercontract.Customer, len(all.Customers))
	for i, c := range all.Customers {
		out[i] = c.Contract()
	}
	return out, nil
}

// CustomersCreatedAfter asks the Customer service's internal query API
// (the contract's query, over HTTP).
func (r remoteCustomers) CustomersCreatedAfter(ctx context.Context, after time.Time) ([]customercontract.Customer, error) {
	var all struct{ Customers []customercontract.Customer }
	q := url.Values{"createdAfter": {after.UTC().Format(time.RFC3339Nano)}}
	if err := r.get(ctx, "/internal/customers", q, &all, nil); err != nil {
		return nil, err
	}
	return all.Customers, nil
}

// remoteView is the History service's view, asked the valuable-customers
// query over HTTP.
type remoteView struct{ remote }

var _ View = remoteView{}

func (r remoteView) ValuableCustomers(ctx context.Context, q queries.ValuableCustomers) ([]queries.ValuableCustomer, queries.Stats, error) {
	var a struct {
		Rows  []queries.ValuableCustomer
		Stats queries.Stats
	}
	v := url.Values{"createdAfter": {q.CreatedAfter.UTC().Format(time.RFC3339Nano)}, "state": {string(q.State)},
		"moreThanCents": {strconv.FormatInt(int64(q.MoreThan), 10)}}
	err := r.get(ctx, "/internal/valuable-customers", v, &a, nil)
	return a.Rows, a.Stats, err
}

// remoteOrders is the Order service's query API over HTTP.
type remoteOrders struct{ remote }

var _ ordercontract.Queries = remoteOrders{}

func (r remoteOrders) Order(ctx context.Context, id string) (ordercontract.Order, error) {
	var o rest.Order
	err := r.get(ctx, "/orders/"+url.PathEscape(id), nil, &o, ordercontract.ErrNotFound)
	return o.Contract(), err
}

func (r remoteOrders) Orders(ctx context.Context) ([]ordercontract.Order, error) {
	return r.FindOrders(ctx, ordercontract.Filter{})
}

// FindOrders asks the Order service for a customer's orders (or all) and
// keeps those f selects.
func (r remoteOrders) FindOrders(ctx context.Context, f ordercontract.Filter) ([]ordercontract.Order, error) {
	q := url.Values{}
	if f.CustomerID != "" {
		q.Set("customerId", f.CustomerID)
	}
	var all struct{ Orders []rest.Order }
	if err := r.get(ctx, "/orders", q, &all, nil); err != nil {
		return nil, err
	}
	out := make([]ordercontract.Order, 0, len(all.Orders))
	for _, o := range all.Orders {
		out = append(out, o.Contract())
	}
	return slices.DeleteFunc(out, func(o ordercontract.Order) bool {
		return (f.CustomerID != "" && o.CustomerID != f.CustomerID) || (f.State != "" && o.State != f.State) ||
			o.OrderTotal <= f.MoreThan
	}), nil
}
