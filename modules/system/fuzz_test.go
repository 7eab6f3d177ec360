package system

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"sagalab/modules/customer"
	"sagalab/modules/order"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
)

// The fuzz tests below send arbitrary bodies to the real handler of a real
// system and hold it to an oracle of their own: what the body asks for, read
// as encoding/json reads it into the request types, and whether that is valid.

// members lists a JSON object's members in order, each key as written.
type member struct {
	key   string
	value json.RawMessage
}

// object reads raw as one JSON object; ok is false for anything else.
func object(raw json.RawMessage) ([]member, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	var out []member
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		out = append(out, member{k.(string), v})
	}
	return out, true
}

// body reads a request body as one JSON value and nothing after it.
func body(b []byte) (json.RawMessage, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var v json.RawMessage
	if dec.Decode(&v) != nil {
		return nil, false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, false
	}
	return v, true
}

// field is what a struct field of the given name ends up holding: the last
// member whose key matches it as encoding/json matches (case-insensitively).
func field(ms []member, name string) []json.RawMessage {
	var out []json.RawMessage
	for _, m := range ms {
		if strings.EqualFold(m.key, name) {
			out = append(out, m.value)
		}
	}
	return out
}

func isNull(v json.RawMessage) bool { return string(v) == "null" }

// str reads the values given for a string field: ok is false if one is
// neither a string nor null; set is false if the last is null.
func str(vs []json.RawMessage) (s string, set, ok bool) {
	for _, v := range vs {
		switch {
		case isNull(v):
			set = false
		case v[0] == '"':
			json.Unmarshal(v, &s) //nolint:errcheck // a decoded token is a valid string
			set = true
		default:
			return "", false, false
		}
	}
	return s, set, true
}

var plainDecimal = regexp.MustCompile(`^\+?([0-9]+)(?:\.([0-9]{1,2}))?$`)

// amount reads an {"amount": …} field as the request types do: later
// objects update the earlier one, null resets it. It returns the amount in
// cents, computed with big integers, and whether it is a valid amount.
func amountOf(vs []json.RawMessage) (money.Money, bool) {
	var last json.RawMessage
	present := false
	for _, v := range vs {
		if isNull(v) {
			present, last = false, nil
			continue
		}
		ms, ok := object(v)
		if !ok {
			return 0, false // a type error fails the whole request
		}
		present = true
		if as := field(ms, "amount"); len(as) > 0 {
			last = as[len(as)-1]
		}
	}
	if !present || last == nil {
		return 0, false
	}
	text := string(last)
	switch {
	case last[0] == '"':
		var s string
		json.Unmarshal(last, &s) //nolint:errcheck // a decoded token is a valid string
		text = strings.TrimSpace(s)
	case last[0] < '0' || last[0] > '9':
		return 0, false
	}
	m := plainDecimal.FindStringSubmatch(text)
	if m == nil {
		return 0, false
	}
	c, _ := new(big.Int).SetString(m[1]+(m[2] + "00")[:2], 10)
	if c.Cmp(big.NewInt(int64(money.Max))) > 0 {
		return 0, false
	}
	return money.Money(c.Int64()), true
}

// fuzzTarget is a real system, its handler and read-only views of its files.
type fuzzTarget struct {
	sys     *System
	handler http.Handler
	dbs     map[string]*sql.DB
}

func newFuzzTarget(f *testing.F) *fuzzTarget {
	s := start(f, Config{})
	ft := &fuzzTarget{sys: s, handler: s.Handler(), dbs: map[string]*sql.DB{}}
	for _, file := range []string{customer.FileName, order.FileName} {
		db, err := sql.Open("sqlite3", "file:"+s.DataDir()+"/"+file+"?mode=ro")
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { db.Close() })
		ft.dbs[file] = db
	}
	return ft
}

func (ft *fuzzTarget) count(t *testing.T, file, table string) int {
	var n int
	if err := ft.dbs[file].QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// post sends b through the handler; it fails the test on a 5xx.
func (ft *fuzzTarget) post(t *testing.T, path string, b []byte) (int, map[string]any) {
	rec := httptest.NewRecorder()
	ft.handler.ServeHTTP(rec, httptest.NewRequest("POST", path, bytes.NewReader(b)))
	if rec.Code >= 500 {
		t.Fatalf("POST %s %q = %d %s", path, b, rec.Code, rec.Body)
	}
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("POST %s %q = %d, not a JSON object: %s", path, b, rec.Code, rec.Body)
	}
	if rec.Code >= 400 {
		if msg, _ := out["error"].(string); msg == "" {
			t.Fatalf("POST %s %q = %d without an error message: %s", path, b, rec.Code, rec.Body)
		}
	}
	return rec.Code, out
}

// A body is answered 201 if and only if it is valid; then the customer is
// stored as asked, its credit limit exact; otherwise a 4xx stores nothing.
func FuzzCreateCustomer(f *testing.F) {
	for _, s := range []string{
		`{"name":"John","creditLimit":{"amount":"15.00"}}`, `{"name":"John","creditLimit":{"amount":15}}`,
		`{"name":" Ann ","creditLimit":{"amount":"0"}}`, `{"name":"x","creditLimit":{"amount":"1000000000000.00"}}`,
		`{"NAME":"x","CreditLimit":{"AMOUNT":"1.5"}}`, `{"name":"a","name":null,"creditLimit":{"amount":"1"}}`,
		`{"name":"a","creditLimit":{"amount":"1"},"creditLimit":{}}`, `{"name":"a","creditLimit":{"amount":"1"},"creditLimit":null}`,
		`{"name":"a","creditLimit":{"amount":"-1"}}`, `{"name":"a","creditLimit":{"amount":1e2}}`,
		`{"name":"a","creditLimit":{"amount":"1.234"}}`, `{"name":"","creditLimit":{"amount":"1"}}`,
		`{"name":5,"name":"a","creditLimit":{"amount":"1"}}`, `{"name":"a","creditLimit":"1"}`, `null`, `[]`, `{}`,
		`{"name":"a","creditLimit":{"amount":"1"}} x`, `{"name":"\ud800","creditLimit":{"amount":"\u0031"}}`,
		`{"name":"` + strings.Repeat("n", 201) + `","creditLimit":{"amount":"1"}}`,
	} {
		f.Add([]byte(s))
	}
	ft := newFuzzTarget(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		valid := false
		var name string
		var limit money.Money
		if v, ok := body(b); ok {
			if ms, ok := object(v); ok {
				n, set, okName := str(field(ms, "name"))
				name = strings.TrimSpace(n)
				var okLimit bool
				limit, okLimit = amountOf(field(ms, "creditLimit"))
				valid = okName && set && name != "" && len(name) <= customer.MaxNameLength && okLimit
			}
		}
		before := ft.count(t, customer.FileName, "customer_view")
		code, out := ft.post(t, "/customers", b)
		after := ft.count(t, customer.FileName, "customer_view")
		if (code == http.StatusCreated) != valid {
			t.Fatalf("POST /customers %q = %d %v; the body is valid: %v", b, code, out, valid)
		}
		if !valid {
			if after != before {
				t.Fatalf("POST /customers %q = %d, yet %d customers were stored", b, code, after-before)
			}
			return
		}
		id, _ := out["customerId"].(string)
		c, err := ft.sys.Customers.Customer(context.Background(), id)
		if err != nil || after != before+1 {
			t.Fatalf("POST /customers %q = 201 %v: stored %d, %v", b, out, after-before, err)
		}
		if c.Name != name || c.CreditLimit != limit || c.AvailableCredit != limit {
			t.Fatalf("POST /customers %q stored %q with limit %s (available %s), want %q and %s",
				b, c.Name, c.CreditLimit, c.AvailableCredit, name, limit)
		}
	})
}

// A body is answered 201 if and only if it is valid; then the order is
// stored PENDING as asked, its total exact; otherwise a 4xx stores nothing.
func FuzzCreateOrder(f *testing.F) {
	for _, s := range []string{
		`{"customerId":"c1","orderTotal":{"amount":"12.34"}}`, `{"customerId":"c1","orderTotal":{"amount":0.01}}`,
		`{"customerId":"c1","orderTotal":{"amount":"12.34"},"sagaMode":"orchestration"}`,
		`{"customerId":"c1","orderTotal":{"amount":"1"},"sagaMode":"choreography","sagaMode":null}`,
		`{"customerId":"c1","orderTotal":{"amount":"1"},"sagaMode":"3pc"}`, `{"customerId":"c1","orderTotal":{"amount":"0"}}`,
		`{"customerId":"c1","orderTotal":{"amount":"-0.01"}}`, `{"customerId":" ","orderTotal":{"amount":"1"}}`,
		`{"CUSTOMERID":"c1","ordertotal":{"Amount":"1"}}`, `{"customerId":1,"orderTotal":{"amount":"1"}}`,
		`{"customerId":"c1","orderTotal":{"amount":"1"},"orderTotal":{"x":1}}`, `{"customerId":"c1","orderTotal":[]}`,
		`{"customerId":"c1","orderTotal":{"amount":"1000000000000.01"}}`, `{"customerId":"c1","orderTotal":{"amount":true}}`,
		`{"customerId":"` + strings.Repeat("c", 201) + `","orderTotal":{"amount":"1"}}`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	ft := newFuzzTarget(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		valid := false
		var customerID, mode string
		var total money.Money
		if v, ok := body(b); ok {
			if ms, ok := object(v); ok {
				c, set, okID := str(field(ms, "customerId"))
				customerID = strings.TrimSpace(c)
				var okTotal, okMode bool
				total, okTotal = amountOf(field(ms, "orderTotal"))
				mode, _, okMode = lastString(field(ms, "sagaMode"))
				okMode = okMode && (mode == "" || mode == string(ordercontract.Choreography) || mode == string(ordercontract.Orchestration))
				valid = okID && set && customerID != "" && len(customerID) <= order.MaxIDLength && okTotal && total > 0 && okMode
			}
		}
		before := ft.count(t, order.FileName, "orders")
		code, out := ft.post(t, "/orders", b)
		after := ft.count(t, order.FileName, "orders")
		if (code == http.StatusCreated) != valid {
			t.Fatalf("POST /orders %q = %d %v; the body is valid: %v", b, code, out, valid)
		}
		if !valid {
			if after != before {
				t.Fatalf("POST /orders %q = %d, yet %d orders were stored", b, code, after-before)
			}
			return
		}
		id, _ := out["orderId"].(string)
		o, err := ft.sys.Orders.Order(context.Background(), id)
		if err != nil || after != before+1 {
			t.Fatalf("POST /orders %q = 201 %v: stored %d, %v", b, out, after-before, err)
		}
		if mode == "" {
			mode = string(ordercontract.Choreography)
		}
		if o.CustomerID != customerID || o.OrderTotal != total || string(o.SagaMode) != mode {
			t.Fatalf("POST /orders %q stored customer %q, total %s, mode %s; want %q, %s, %s",
				b, o.CustomerID, o.OrderTotal, o.SagaMode, customerID, total, mode)
		}
	})
}

// lastString reads the values given for a non-pointer string field, where
// null changes nothing.
func lastString(vs []json.RawMessage) (s string, set, ok bool) {
	for _, v := range vs {
		if isNull(v) {
			continue
		}
		if v[0] != '"' {
			return "", false, false
		}
		json.Unmarshal(v, &s) //nolint:errcheck // a decoded token is a valid string
		set = true
	}
	return s, set, true
}
