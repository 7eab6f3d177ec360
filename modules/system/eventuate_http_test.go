package system

import (
	"context"
	"net/http"
	"testing"
)

// architectures are the ways the store is built, each serving the same REST
// contract.
var architectures = []struct {
	name    string
	handler func(t *testing.T) (http.Handler, func())
}{
	{"microservices/choreography", microservicesHandler("choreography")},
	{"microservices/orchestration", microservicesHandler("orchestration")},
	{"monolith", func(t *testing.T) (http.Handler, func()) {
		m, err := StartMonolith(context.Background(), Config{DataDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m.Handler(), func() {}
	}},
}

func microservicesHandler(mode string) func(t *testing.T) (http.Handler, func()) {
	return func(t *testing.T) (http.Handler, func()) {
		s := start(t, Config{SagaMode: modes[map[string]int{"choreography": 0, "orchestration": 1}[mode]]})
		return s.Handler(), func() { settled(t, s) }
	}
}

// The Eventuate customers-and-orders end-to-end cases over HTTP, against
// every architecture: the same requests get the same outcomes, and each
// order says which architecture handled it.
func TestEventuateOverHTTPEveryArchitecture(t *testing.T) {
	for _, arch := range architectures {
		t.Run(arch.name, func(t *testing.T) {
			h, settle := arch.handler(t)
			srv := checkedServer(t, h)
			defer srv.Close()
			want := map[bool]string{true: "monolith", false: "microservices"}[arch.name == "monolith"]
			order := func(cid, amount string) map[string]any {
				t.Helper()
				code, body := call(t, srv, "POST", "/orders", `{"customerId":"`+cid+`","orderTotal":{"amount":"`+amount+`"}}`)
				if code != 201 {
					t.Fatalf("POST /orders = %d %v", code, body)
				}
				id := body["orderId"].(string)
				var o map[string]any
				eventually(t, "order "+id+" to leave PENDING", func() bool {
					_, o = call(t, srv, "GET", "/orders/"+id, "")
					return o["orderState"] != "PENDING"
				})
				if o["architecture"] != want {
					t.Errorf("order %s: architecture %v, want %s", id, o["architecture"], want)
				}
				return o
			}
			credit := func(cid string) any {
				settle()
				_, body := call(t, srv, "GET", "/customers/"+cid, "")
				return body["availableCredit"].(map[string]any)["amount"]
			}
			code, body := call(t, srv, "POST", "/customers", `{"name":"John","creditLimit":{"amount":"15.00"}}`)
			if code != 201 {
				t.Fatalf("POST /customers = %d %v", code, body)
			}
			cid := body["customerId"].(string)

			first := order(cid, "12.34")
			if first["orderState"] != "APPROVED" {
				t.Fatalf("order 12.34 = %v", first)
			}
			if got := credit(cid); got != "2.66" {
				t.Fatalf("available %v, want 2.66", got)
			}
			if o := order(cid, "123.40"); o["orderState"] != "REJECTED" || o["rejectionReason"] != "INSUFFICIENT_CREDIT" {
				t.Fatalf("order 123.40 = %v, want REJECTED/INSUFFICIENT_CREDIT", o)
			}
			if o := order("no-such-customer", "1.00"); o["orderState"] != "REJECTED" || o["rejectionReason"] != "UNKNOWN_CUSTOMER" {
				t.Fatalf("order for an unknown customer = %v, want REJECTED/UNKNOWN_CUSTOMER", o)
			}
			code, body = call(t, srv, "POST", "/orders/"+first["orderId"].(string)+"/cancel", "")
			if code != 200 || body["orderState"] != "CANCELLED" {
				t.Fatalf("cancel = %d %v", code, body)
			}
			code, body = call(t, srv, "POST", "/orders/"+first["orderId"].(string)+"/cancel", "")
			if code != 409 || body["error"] == "" {
				t.Fatalf("second cancel = %d %v, want 409", code, body)
			}
			eventually(t, "the credit released", func() bool { return credit(cid) == "15.00" })
			if o := order(cid, "15.00"); o["orderState"] != "APPROVED" {
				t.Fatalf("order 15.00 after cancel = %v, want APPROVED", o)
			}
			if got := credit(cid); got != "0.00" {
				t.Fatalf("available %v, want 0.00", got)
			}
			settle()
			code, body = call(t, srv, "GET", "/orders", "")
			if code != 200 || len(body["orders"].([]any)) != 4 {
				t.Fatalf("GET /orders = %d %v", code, body)
			}
			code, body = call(t, srv, "GET", "/customers/"+cid+"/orderhistory", "")
			if code != 200 || len(body["orders"].(map[string]any)) != 3 {
				t.Fatalf("GET order history = %d %v", code, body)
			}
			for _, bad := range []struct{ method, path, body string }{
				{"POST", "/orders", `{"customerId":"c"}`},
				{"POST", "/customers", `{"name":"a","creditLimit":{"amount":"-1"}}`},
				{"GET", "/orders/nope", ""},
				{"GET", "/customers/nope", ""},
				{"POST", "/orders/nope/cancel", ""},
				{"DELETE", "/orders", ""},
			} {
				code, body := call(t, srv, bad.method, bad.path, bad.body)
				if code < 400 || code > 499 || body["error"] == "" {
					t.Errorf("%s %s = %d %v, want a 4xx JSON error", bad.method, bad.path, code, body)
				}
			}
		})
	}
}
