package gateway

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// The gateway passes each public endpoint to the service that owns it,
// unchanged, and answers 503 naming a service that does not answer while
// the others carry on.
func TestProxy(t *testing.T) {
	order := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"orderId":"o1","position":"order.events:7","path":"`+r.URL.Path+`"}`)
	}))
	defer order.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	downURL, _ := url.Parse(down.URL)
	down.Close() // nobody listens there any more
	orderURL, _ := url.Parse(order.URL)
	gw := httptest.NewServer(NewProxy(slog.New(slog.DiscardHandler),
		Service{Name: "order", URL: orderURL}, Service{Name: "customer", URL: downURL}).Handler())
	defer gw.Close()

	resp, err := http.Post(gw.URL+"/orders", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(body), `"position":"order.events:7"`) {
		t.Fatalf("POST /orders through the gateway: %d %s", resp.StatusCode, body)
	}

	resp, err = http.Get(gw.URL + "/customers/c1")
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ Error, Service string }
	json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || e.Service != "customer" ||
		!strings.Contains(e.Error, "the customer service is unavailable") {
		t.Fatalf("GET /customers/c1 with the customer service down: %d %+v", resp.StatusCode, e)
	}

	resp, err = http.Get(gw.URL + "/composed/customers/c1/orderhistory")
	if err != nil {
		t.Fatal(err)
	}
	e.Error = ""
	json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(e.Error, "the customer service is unavailable") {
		t.Fatalf("composed order history with the customer service down: %d %+v", resp.StatusCode, e)
	}

	resp, err = http.Get(gw.URL + "/gateway/calls")
	if err != nil {
		t.Fatal(err)
	}
	var calls struct{ Calls map[string]int }
	json.NewDecoder(resp.Body).Decode(&calls)
	resp.Body.Close()
	if calls.Calls["order"] != 1 || calls.Calls["customer"] != 1 {
		t.Fatalf("calls %v, want one to each service", calls.Calls)
	}
}
