package web

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"sagalab/bus"
	"sagalab/modules/system"
)

// A page that does not keep up is dropped; the bus never waits for it.
func TestBroadcasterDropsSlowPages(t *testing.T) {
	b := NewBroadcaster()
	slow, _ := b.Subscribe()
	fast, cancel := b.Subscribe()
	defer cancel()
	d := bus.Delivery{Envelope: bus.Envelope{Type: "OrderCreated", CorrelationID: "o1", Source: "order"}, Consumer: "customer"}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range clientBuffer + 1 {
			b.Handled(d)
			<-fast // the fast page keeps up
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Handled blocked on a slow page")
	}
	n := 0
	for range slow { // ends: the slow page was dropped
		n++
	}
	if n != clientBuffer || b.Listeners() != 1 {
		t.Fatalf("slow page got %d updates and listeners = %d, want %d and 1", n, b.Listeners(), clientBuffer)
	}
}

func startPage(t *testing.T) (*system.System, *Broadcaster, *httptest.Server) {
	t.Helper()
	b := NewBroadcaster()
	sys, err := system.Start(context.Background(), system.Config{DataDir: t.TempDir(), Observer: b})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close() })
	mux := http.NewServeMux()
	Routes(mux, sys, b, nil)
	mux.Handle("/", sys.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return sys, b, srv
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The page and its assets are served from the binary; an order's trace and
// the modules' rows come as JSON; handled messages stream as events.
func TestPageRoutes(t *testing.T) {
	_, _, srv := startPage(t)
	if code, body := get(t, srv.URL+"/"); code != 200 || !strings.Contains(body, "<title>sagalab") {
		t.Fatalf("GET / = %d %.80s", code, body)
	}
	for _, a := range []string{"app.js", "app.css"} {
		if code, _ := get(t, srv.URL+"/web/assets/"+a); code != 200 {
			t.Errorf("GET /web/assets/%s = %d", a, code)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel() // a missed event fails the test instead of hanging it
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/web/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events Content-Type = %q", ct)
	}
	events := bufio.NewScanner(resp.Body)

	resp2, err := http.Post(srv.URL+"/customers", "application/json", strings.NewReader(`{"name":"Ann","creditLimit":{"amount":"15.00"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ CustomerID string }
	json.NewDecoder(resp2.Body).Decode(&c)
	resp2.Body.Close()
	resp3, err := http.Post(srv.URL+"/orders", "application/json", strings.NewReader(`{"customerId":"`+c.CustomerID+`","orderTotal":{"amount":"5.00"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var o struct{ OrderID string }
	json.NewDecoder(resp3.Body).Decode(&o)
	resp3.Body.Close()

	// The stream tells of the order's messages as consumers handle them.
	var approved bool
	for !approved && events.Scan() {
		line := events.Text()
		if !strings.HasPrefix(line, "data: ") {
			continue
		}
		var u Update
		if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &u); err != nil {
			t.Fatalf("event %q: %v", line, err)
		}
		approved = u.OrderID == o.OrderID && u.Type == "OrderApproved"
	}
	if !approved {
		t.Fatalf("the stream ended before OrderApproved: %v", events.Err())
	}

	code, body := get(t, srv.URL+"/web/orders/"+o.OrderID+"/trace")
	var tr struct {
		OrderState string `json:"orderState"`
		Steps      []struct{ Kind, Type, From, To string }
	}
	if err := json.Unmarshal([]byte(body), &tr); code != 200 || err != nil {
		t.Fatalf("trace = %d %s (%v)", code, body, err)
	}
	var arrows []string
	for _, s := range tr.Steps {
		if s.Kind == "message" && s.To != "history" {
			arrows = append(arrows, s.From+" "+s.Type+" "+s.To)
		}
	}
	if got := strings.Join(arrows, ", "); !strings.Contains(got, "order OrderCreated customer, customer CustomerCreditReserved order") {
		t.Errorf("trace arrows: %s", got)
	}
	if code, body := get(t, srv.URL+"/web/orders/nope/trace"); code != 404 || !strings.Contains(body, `"error"`) {
		t.Errorf("trace of an unknown order = %d %s, want a JSON 404", code, body)
	}
	code, body = get(t, srv.URL+"/web/rows")
	if code != 200 || !strings.Contains(body, `"order.db orders"`) || !strings.Contains(body, o.OrderID) {
		t.Errorf("rows = %d %.200s", code, body)
	}
}
