package system

import (
	"strings"
	"testing"
)

// /healthz answers while the process runs; /readyz says ready only while
// the view is within its lag bound, and why not otherwise.
func TestHealthAndReadiness(t *testing.T) {
	s := start(t, Config{HoldDelivery: true, ReadyLag: 1})
	srv := apiServer(t, s)
	defer srv.Close()
	if code, body := call(t, srv, "GET", "/healthz", ""); code != 200 || body["status"] != "ok" {
		t.Fatalf("healthz = %d %v", code, body)
	}
	if code, body := call(t, srv, "GET", "/readyz", ""); code != 200 || body["status"] != "ready" {
		t.Fatalf("readyz with nothing written = %d %v", code, body)
	}
	mustCustomer(t, s, "Ann", "10.00")
	mustCustomer(t, s, "Bob", "10.00") // held: the view is 2 events behind customer.events
	code, body := call(t, srv, "GET", "/readyz", "")
	reasons, _ := body["reasons"].([]any)
	if code != 503 || len(reasons) != 1 || !strings.Contains(reasons[0].(string), "2 events behind customer.events") {
		t.Fatalf("readyz with the view behind = %d %v, want 503 naming the lag", code, body)
	}
	s.Bus.Release()
	eventually(t, "ready once the view caught up", func() bool {
		code, _ := call(t, srv, "GET", "/readyz", "")
		return code == 200
	})
	s.Bus.Close()
	if code, body := call(t, srv, "GET", "/readyz", ""); code != 503 || !strings.Contains(body["error"].(string), "bus: not running") {
		t.Fatalf("readyz with the bus stopped = %d %v", code, body)
	}
}
