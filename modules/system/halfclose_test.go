package system

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	ordercontract "sagalab/modules/order/contract"
)

// halfClosed sends one request over a fresh TCP connection, closes the
// connection's sending side at once, as scripts and proxies do, and reads the
// answer.
func halfClosed(t *testing.T, srv *httptest.Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: sagalab\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		method, path, len(body), body)
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: read the answer: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: answer %d is not JSON: %v", method, path, resp.StatusCode, err)
	}
	return resp.StatusCode, out
}

// A client that half-closes its connection right after a valid write still
// has the write carried out and, since it can still read, answered.
func TestHalfClosedClientWrites(t *testing.T) {
	const tries = 20
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			s := start(t, Config{SagaMode: mode})
			srv := apiServer(t, s)
			defer srv.Close()
			ctx := context.Background()

			var customers []string
			for i := range tries {
				code, body := halfClosed(t, srv, "POST", "/customers",
					fmt.Sprintf(`{"name":"c%d","creditLimit":{"amount":"100.00"}}`, i))
				id, _ := body["customerId"].(string)
				if code != http.StatusCreated || id == "" {
					t.Fatalf("POST /customers, try %d: %d %v, want 201", i, code, body)
				}
				if _, err := s.Customers.Customer(ctx, id); err != nil {
					t.Fatalf("customer %s answered 201 but not stored: %v", id, err)
				}
				customers = append(customers, id)
			}
			var orders []string
			for i, c := range customers {
				code, body := halfClosed(t, srv, "POST", "/orders", `{"customerId":"`+c+`","orderTotal":{"amount":"10.00"}}`)
				id, _ := body["orderId"].(string)
				if code != http.StatusCreated || id == "" {
					t.Fatalf("POST /orders, try %d: %d %v, want 201", i, code, body)
				}
				if _, err := s.Orders.Order(ctx, id); err != nil {
					t.Fatalf("order %s answered 201 but not stored: %v", id, err)
				}
				orders = append(orders, id)
			}
			for i, id := range orders {
				if o := final(t, s, id); o.State != ordercontract.Approved {
					t.Fatalf("order %s is %s, want APPROVED", id, o.State)
				}
				code, body := halfClosed(t, srv, "POST", "/orders/"+id+"/cancel", "")
				if code != http.StatusOK || body["orderState"] != string(ordercontract.Cancelled) {
					t.Fatalf("cancel, try %d: %d %v, want 200 CANCELLED", i, code, body)
				}
				o, err := s.Orders.Order(ctx, id)
				if err != nil || o.State != ordercontract.Cancelled {
					t.Fatalf("order %s after its cancel answered 200: %v %v", id, o.State, err)
				}
			}
		})
	}
}
