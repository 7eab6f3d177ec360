package reqlog

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// One line per request, with its route pattern, status and order id: from
// the path, or from the answer that created the order.
func TestOneLinePerRequest(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"orderId": "o-created", "position": "order.events:1"}`))
	})
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, _ *http.Request) {})
	mux.HandleFunc("GET /sagas/{orderId}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) })
	var out bytes.Buffer
	h := Middleware(slog.New(slog.NewTextHandler(&out, nil)), mux)
	for _, r := range []*http.Request{
		httptest.NewRequest("POST", "/orders", strings.NewReader(`{}`)),
		httptest.NewRequest("GET", "/orders/o-7", nil),
		httptest.NewRequest("GET", "/sagas/o-8", nil),
		httptest.NewRequest("GET", "/elsewhere", nil),
	} {
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		`method=POST route="POST /orders" path=/orders status=201`,
		`method=GET route="GET /orders/{id}" path=/orders/o-7 status=200`,
		`method=GET route="GET /sagas/{orderId}" path=/sagas/o-8 status=404`,
		`method=GET route=unmatched path=/elsewhere status=404`,
	}
	orders := []string{"order=o-created", "order=o-7", "order=o-8", ""}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, l := range lines {
		if !strings.Contains(l, want[i]) || !strings.Contains(l, "duration=") {
			t.Errorf("line %d = %s\nwant it to hold %s and a duration", i, l, want[i])
		}
		if orders[i] != "" && !strings.HasSuffix(l, orders[i]) || orders[i] == "" && strings.Contains(l, "order=") {
			t.Errorf("line %d = %s, want order %q", i, l, orders[i])
		}
	}
}
