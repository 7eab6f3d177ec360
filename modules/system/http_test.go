package system

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func call(t *testing.T, srv *httptest.Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: answer is not a JSON object: %s", method, path, b)
	}
	return resp.StatusCode, out
}

func TestHTTPContract(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			s := start(t, Config{SagaMode: mode})
			srv := apiServer(t, s)
			defer srv.Close()

			code, body := call(t, srv, "POST", "/customers", `{"name":"John","creditLimit":{"amount":"15.00"}}`)
			if code != 201 || body["customerId"] == "" {
				t.Fatalf("POST /customers = %d %v", code, body)
			}
			cid := body["customerId"].(string)
			code, body = call(t, srv, "POST", "/orders", `{"customerId":"`+cid+`","orderTotal":{"amount":12.34}}`)
			if code != 201 {
				t.Fatalf("POST /orders = %d %v", code, body)
			}
			oid := body["orderId"].(string)
			final(t, s, oid)
			settled(t, s)

			code, body = call(t, srv, "GET", "/orders/"+oid, "")
			if code != 200 || body["orderState"] != "APPROVED" || body["sagaMode"] != string(mode) ||
				body["orderTotal"].(map[string]any)["amount"] != "12.34" || body["customerId"] != cid {
				t.Fatalf("GET /orders/{id} = %d %v", code, body)
			}
			code, body = call(t, srv, "GET", "/customers/"+cid, "")
			if code != 200 || body["name"] != "John" ||
				body["creditLimit"].(map[string]any)["amount"] != "15.00" ||
				body["availableCredit"].(map[string]any)["amount"] != "2.66" {
				t.Fatalf("GET /customers/{id} = %d %v", code, body)
			}
			code, body = call(t, srv, "GET", "/customers", "")
			if code != 200 || len(body["customers"].([]any)) != 1 {
				t.Fatalf("GET /customers = %d %v", code, body)
			}
			code, body = call(t, srv, "GET", "/orders", "")
			if code != 200 || len(body["orders"].([]any)) != 1 {
				t.Fatalf("GET /orders = %d %v", code, body)
			}
			code, body = call(t, srv, "POST", "/orders/"+oid+"/cancel", "")
			if code != 200 || body["orderState"] != "CANCELLED" {
				t.Fatalf("cancel = %d %v", code, body)
			}
			code, body = call(t, srv, "POST", "/orders/"+oid+"/cancel", "")
			if want := "order " + oid + " is CANCELLED: only an APPROVED order can be cancelled"; code != 409 || body["error"] != want {
				t.Fatalf("second cancel = %d %v, want 409 %q", code, body, want)
			}
			settled(t, s)
			code, body = call(t, srv, "GET", "/customers/"+cid, "")
			if body["availableCredit"].(map[string]any)["amount"] != "15.00" {
				t.Fatalf("after cancel: %v, want 15.00 available", body)
			}
		})
	}
}

// Each bad request gets its 4xx and a JSON error, and persists nothing.
func TestHTTPBadRequests(t *testing.T) {
	s := start(t, Config{})
	srv := apiServer(t, s)
	defer srv.Close()
	huge := `{"name":"` + strings.Repeat("x", 2<<20) + `","creditLimit":{"amount":"1"}}`
	cases := []struct {
		name, method, path, body string
		code                     int
		mention                  string
	}{
		{"malformed JSON", "POST", "/customers", `{"name":`, 400, "not valid JSON"},
		{"not an object", "POST", "/customers", `[1,2]`, 400, ""},
		{"empty body", "POST", "/customers", ``, 400, "empty"},
		{"trailing data", "POST", "/customers", `{"name":"a","creditLimit":{"amount":"1"}} {}`, 400, "after"},
		{"missing name", "POST", "/customers", `{"creditLimit":{"amount":"1"}}`, 400, "name"},
		{"blank name", "POST", "/customers", `{"name":"  ","creditLimit":{"amount":"1"}}`, 400, "name"},
		{"name not a string", "POST", "/customers", `{"name":5,"creditLimit":{"amount":"1"}}`, 400, "name"},
		{"long name", "POST", "/customers", `{"name":"` + strings.Repeat("n", 201) + `","creditLimit":{"amount":"1"}}`, 400, "name"},
		{"missing credit limit", "POST", "/customers", `{"name":"a"}`, 400, "creditLimit"},
		{"missing amount", "POST", "/customers", `{"name":"a","creditLimit":{}}`, 400, "creditLimit.amount"},
		{"negative limit", "POST", "/customers", `{"name":"a","creditLimit":{"amount":"-1.00"}}`, 400, "creditLimit.amount"},
		{"non-numeric limit", "POST", "/customers", `{"name":"a","creditLimit":{"amount":"ten"}}`, 400, "creditLimit.amount"},
		{"NaN limit", "POST", "/customers", `{"name":"a","creditLimit":{"amount":"NaN"}}`, 400, "creditLimit.amount"},
		{"Infinity limit", "POST", "/customers", `{"name":"a","creditLimit":{"amount":"Infinity"}}`, 400, "creditLimit.amount"},
		{"three decimals", "POST", "/customers", `{"name":"a","creditLimit":{"amount":1.234}}`, 400, "two decimals"},
		{"exponent", "POST", "/customers", `{"name":"a","creditLimit":{"amount":1e3}}`, 400, "exponent"},
		{"out of range", "POST", "/customers", `{"name":"a","creditLimit":{"amount":"10000000000000"}}`, 400, "out of range"},
		{"oversized body", "POST", "/customers", huge, 413, "larger"},
		{"order without customer", "POST", "/orders", `{"orderTotal":{"amount":"1"}}`, 400, "customerId"},
		{"order without total", "POST", "/orders", `{"customerId":"c"}`, 400, "orderTotal"},
		{"zero total", "POST", "/orders", `{"customerId":"c","orderTotal":{"amount":"0.00"}}`, 400, "orderTotal.amount"},
		{"negative total", "POST", "/orders", `{"customerId":"c","orderTotal":{"amount":-5}}`, 400, "orderTotal.amount"},
		{"total as bool", "POST", "/orders", `{"customerId":"c","orderTotal":{"amount":true}}`, 400, "orderTotal.amount"},
		{"bad saga mode", "POST", "/orders", `{"customerId":"c","orderTotal":{"amount":"1"},"sagaMode":"3pc"}`, 400, "sagaMode"},
		{"unknown customer", "GET", "/customers/nope", ``, 404, "not found"},
		{"unknown order", "GET", "/orders/nope", ``, 404, "not found"},
		{"cancel unknown order", "POST", "/orders/nope/cancel", ``, 404, "not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := call(t, srv, c.method, c.path, c.body)
			msg, _ := body["error"].(string)
			if code != c.code || msg == "" || !strings.Contains(msg, c.mention) {
				t.Fatalf("%s %s = %d %v, want %d with an error mentioning %q", c.method, c.path, code, body, c.code, c.mention)
			}
			if strings.Contains(msg, "invalid input") {
				t.Errorf("%q: the status says the input was invalid; the message says what was wrong", msg)
			}
		})
	}
	// One style: what is at fault, then once what is wrong with it.
	for _, c := range []struct{ path, body, want string }{
		{"/customers", `{"name":"  ","creditLimit":{"amount":"1"}}`, "name: required"},
		{"/customers", `{"name":5,"creditLimit":{"amount":"1"}}`, "name: want a JSON string, got number"},
		{"/customers", `{"name":"a","creditLimit":"1"}`, "creditLimit: want a JSON object, got string"},
		{"/customers", `{"name":"a","creditLimit":{"amount":"-1.00"}}`, `creditLimit.amount: "-1.00" is negative`},
		{"/customers", `{"name":"a","creditLimit":{"amount":null}}`, `creditLimit.amount: required, as a number or a string such as "12.34"`},
		{"/customers", `[1]`, "request body: want a JSON object, got array"},
		{"/orders", `{"customerId":"c","orderTotal":{"amount":"1"},"sagaMode":"3pc"}`,
			`sagaMode: "3pc" is not "choreography", "orchestration" or "2pc"`},
		{"/orders", `{"customerId":" ","orderTotal":{"amount":"1"}}`, "customerId: required"},
	} {
		if _, body := call(t, srv, "POST", c.path, c.body); body["error"] != c.want {
			t.Errorf("POST %s %s: error %q, want %q", c.path, c.body, body["error"], c.want)
		}
	}
	for _, q := range []string{`SELECT count(*) FROM customer_view`, `SELECT count(*) FROM outbox`} {
		if n := count(t, s.DataDir()+"/customer.db", q); n != 0 {
			t.Errorf("customer.db: %s = %d after bad requests, want 0", q, n)
		}
	}
	for _, q := range []string{`SELECT count(*) FROM orders`, `SELECT count(*) FROM outbox`} {
		if n := count(t, s.DataDir()+"/order.db", q); n != 0 {
			t.Errorf("order.db: %s = %d after bad requests, want 0", q, n)
		}
	}
}

// The event-sourced customer over HTTP: its stream, and its state as of a
// version.
func TestCustomerEventsAndTimeTravel(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			s := start(t, Config{SagaMode: mode})
			srv := apiServer(t, s)
			defer srv.Close()
			c := mustCustomer(t, s, "John", "15.00")
			o := final(t, s, mustOrder(t, s, c, "12.34", "")).ID
			settled(t, s)
			if _, err := s.Orders.Cancel(context.Background(), o); err != nil {
				t.Fatal(err)
			}
			settled(t, s)

			code, body := call(t, srv, "GET", "/customers/"+c+"/events", "")
			events := body["events"].([]any)
			var types []string
			for _, e := range events {
				types = append(types, e.(map[string]any)["type"].(string))
			}
			want := "CustomerCreated CustomerCreditReserved CustomerCreditReleased"
			if code != 200 || strings.Join(types, " ") != want {
				t.Fatalf("events = %d %v, want %s", code, types, want)
			}
			for v, avail := range map[string]string{"1": "15.00", "2": "2.66", "3": "15.00"} {
				code, body := call(t, srv, "GET", "/customers/"+c+"?atVersion="+v, "")
				if code != 200 || body["availableCredit"].(map[string]any)["amount"] != avail {
					t.Errorf("atVersion=%s: %d %v, want %s available", v, code, body, avail)
				}
			}
			for _, bad := range []string{"0", "x", "-1"} {
				if code, _ := call(t, srv, "GET", "/customers/"+c+"?atVersion="+bad, ""); code != 400 {
					t.Errorf("atVersion=%s: %d, want 400", bad, code)
				}
			}
			if code, _ := call(t, srv, "GET", "/customers/"+c+"?atVersion=9", ""); code != 404 {
				t.Errorf("atVersion beyond the stream: %d, want 404", code)
			}
			if code, _ := call(t, srv, "GET", "/customers/nobody/events", ""); code != 404 {
				t.Errorf("events of an unknown customer: %d, want 404", code)
			}
		})
	}
}

// A request no route takes is answered in JSON too: 404 for an unknown path,
// 405 with Allow for a method the path does not take.
func TestHTTPRoutingErrors(t *testing.T) {
	s := start(t, Config{})
	srv := apiServer(t, s)
	defer srv.Close()
	cases := []struct {
		method, path string
		code         int
		allow        string
	}{
		{"GET", "/nope", 404, ""},
		{"GET", "/", 404, ""},
		{"GET", "/orders/", 404, ""},
		{"POST", "/orders/", 404, ""},
		{"GET", "/customers/", 404, ""},
		{"GET", "/orders/o1/cancel/more", 404, ""},
		{"DELETE", "/orders", 405, "GET, HEAD, POST"},
		{"PUT", "/customers", 405, "GET, HEAD, POST"},
		{"POST", "/customers/c1", 405, "GET, HEAD"},
		{"DELETE", "/orders/o1", 405, "GET, HEAD"},
		{"GET", "/orders/o1/cancel", 405, "POST"},
		{"POST", "/sagas", 405, "GET, HEAD"},
		{"PATCH", "/queries/valuable-customers", 405, "GET, HEAD"},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			req, err := http.NewRequest(c.method, srv.URL+c.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]string
			err = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != c.code || err != nil || body["error"] == "" ||
				resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("%s %s = %d %s %v (%v), want %d with a JSON error",
					c.method, c.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, err, c.code)
			}
			if got := resp.Header.Get("Allow"); got != c.allow {
				t.Errorf("Allow = %q, want %q", got, c.allow)
			}
		})
	}
}
