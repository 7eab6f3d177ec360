package system

import (
	"context"
	"fmt"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"sagalab/bus"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/queries"
)

func orderHistory(t *testing.T, srv *httptest.Server, customerID, after string) (int, map[string]any) {
	t.Helper()
	path := "/customers/" + customerID + "/orderhistory"
	if after != "" {
		path += "?after=" + after
	}
	return call(t, srv, "GET", path, "")
}

// The Eventuate order-history case through the real services and the CQRS
// view, and a cancel that shows up in it.
func TestOrderHistoryView(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			s := start(t, Config{SagaMode: mode})
			srv := apiServer(t, s)
			defer srv.Close()
			_, body := call(t, srv, "POST", "/customers", `{"name":"Fred","creditLimit":{"amount":"2000"}}`)
			c := body["customerId"].(string)
			approved := final(t, s, mustOrder(t, s, c, "1234", "")).ID
			rejected := final(t, s, mustOrder(t, s, c, "3000", "")).ID
			settled(t, s)

			code, doc := orderHistory(t, srv, c, "")
			if code != 200 || doc["id"] != c || doc["name"] != "Fred" || doc["creditLimit"].(map[string]any)["amount"] != "2000.00" {
				t.Fatalf("orderhistory = %d %v", code, doc)
			}
			orders := doc["orders"].(map[string]any)
			if len(orders) != 2 || state(orders, approved) != "APPROVED" || state(orders, rejected) != "REJECTED" ||
				orders[approved].(map[string]any)["orderTotal"].(map[string]any)["amount"] != "1234.00" {
				t.Fatalf("orders = %v", orders)
			}

			_, cancelled := call(t, srv, "POST", "/orders/"+approved+"/cancel", "")
			_, doc = orderHistory(t, srv, c, cancelled["position"].(string))
			if got := state(doc["orders"].(map[string]any), approved); got != "CANCELLED" {
				t.Fatalf("after cancel the view shows %s, want CANCELLED", got)
			}
			if code, _ := orderHistory(t, srv, "nobody", ""); code != 404 {
				t.Fatalf("unknown customer: %d, want 404", code)
			}
			settled(t, s)
			_, status := call(t, srv, "GET", "/views/status", "")
			for _, topic := range status["topics"].([]any) {
				if lag := topic.(map[string]any)["lag"].(float64); lag != 0 {
					t.Fatalf("view lag after settling: %v", status)
				}
			}
		})
	}
}

func state(orders map[string]any, id string) any {
	o, _ := orders[id].(map[string]any)
	return o["state"]
}

// Read-your-writes: a query with ?after= the position a write returned
// sees that write, even while the view is held back.
func TestReadYourWrites(t *testing.T) {
	s := start(t, Config{})
	srv := apiServer(t, s)
	defer srv.Close()
	_, body := call(t, srv, "POST", "/customers", `{"name":"Ann","creditLimit":{"amount":"50"}}`)
	c, pos := body["customerId"].(string), body["position"].(string)
	if code, _ := orderHistory(t, srv, c, pos); code != 200 {
		t.Fatalf("orderhistory after the customer's position: %d", code)
	}

	s.Bus.PauseConsumer("history")
	_, body = call(t, srv, "POST", "/orders", `{"customerId":"`+c+`","orderTotal":{"amount":"5"}}`)
	id, pos := body["orderId"].(string), body["position"].(string)
	code, answer := call(t, srv, "GET", "/customers/"+c+"/orderhistory?after="+pos+"&wait=50ms", "")
	if code != 503 || answer["error"] == nil {
		t.Fatalf("with the view paused: %d %v, want 503 and an error", code, answer)
	}
	go func() {
		time.Sleep(30 * time.Millisecond)
		s.Bus.ResumeConsumer("history")
	}()
	code, doc := orderHistory(t, srv, c, pos)
	if code != 200 || state(doc["orders"].(map[string]any), id) == nil {
		t.Fatalf("after=%s: %d %v, want the new order", pos, code, doc)
	}
	for _, bad := range []string{"order.events", "order.events:x", "nope:3"} {
		if code, _ := orderHistory(t, srv, c, bad); code != 400 {
			t.Errorf("after=%s: %d, want 400", bad, code)
		}
	}
}

// A rebuilt view answers exactly as the live one did.
func TestRebuildView(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			dir := t.TempDir()
			s, err := Start(context.Background(), Config{DataDir: dir, SagaMode: mode})
			if err != nil {
				t.Fatal(err)
			}
			ids := seed(t, s, 5, 20)
			before := documents(t, s, ids)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			res, err := RebuildView(context.Background(), dir, nil)
			if err != nil || res.Events == 0 {
				t.Fatalf("rebuild: %d events, %v", res.Events, err)
			}
			s = start(t, Config{DataDir: dir, SagaMode: mode})
			if after := documents(t, s, ids); !reflect.DeepEqual(after, before) {
				t.Fatalf("rebuilt view differs:\n got %+v\nwant %+v", after, before)
			}
		})
	}
}

// seed creates customers with orders that end in every state and waits for
// the view to catch up. It returns the customer ids.
func seed(t *testing.T, s *System, customers, orders int) []string {
	t.Helper()
	var ids []string
	for i := range customers {
		ids = append(ids, mustCustomer(t, s, fmt.Sprintf("C%d", i), "100.00"))
	}
	var created []string
	for i := range orders {
		created = append(created, mustOrder(t, s, ids[i%customers], fmt.Sprintf("%d.00", 10+i*3), ""))
	}
	for i, id := range created {
		if o := final(t, s, id); o.State == ordercontract.Approved && i%3 == 0 {
			if _, err := s.Orders.Cancel(context.Background(), id); err != nil {
				t.Fatal(err)
			}
		}
	}
	settled(t, s)
	return ids
}

func documents(t *testing.T, s *System, ids []string) []any {
	var out []any
	for _, id := range ids {
		d, err := s.History.Document(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// The three ways to answer "recent, valuable customers" return the same
// rows; 1+N needs a round trip per recent customer, bulk always two.
func TestValuableCustomersThreeWays(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			s := start(t, Config{SagaMode: mode})
			ctx := context.Background()
			ids := seed(t, s, 6, 30)
			third, err := s.Customers.Customer(ctx, ids[2])
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range []queries.ValuableCustomers{
				{State: ordercontract.Approved, MoreThan: 2000},
				{State: ordercontract.Approved, MoreThan: 2000, CreatedAfter: third.CreatedAt},
				{State: ordercontract.Cancelled},
				{State: ordercontract.Rejected, MoreThan: 99999},
			} {
				var want []queries.ValuableCustomer
				for i, via := range queries.Vias {
					rows, st, err := s.ValuableCustomers(ctx, via, q)
					if err != nil {
						t.Fatal(err)
					}
					if i == 0 {
						want = rows
						continue
					}
					if !reflect.DeepEqual(rows, want) {
						t.Fatalf("%+v via %s:\n got %+v\nwant %+v (via %s)", q, via, rows, want, queries.Vias[0])
					}
					if via == queries.ViaView && st.RoundTrips != 1 {
						t.Fatalf("the view took %d round trips, want 1", st.RoundTrips)
					}
				}
			}
			q := queries.ValuableCustomers{State: ordercontract.Approved}
			_, all1N, _ := s.ValuableCustomers(ctx, queries.ViaComposition1N, q)
			_, allBulk, _ := s.ValuableCustomers(ctx, queries.ViaCompositionBulk, q)
			q.CreatedAfter = third.CreatedAt
			_, few1N, _ := s.ValuableCustomers(ctx, queries.ViaComposition1N, q)
			_, fewBulk, _ := s.ValuableCustomers(ctx, queries.ViaCompositionBulk, q)
			if all1N.RoundTrips != 1+6 || few1N.RoundTrips != 1+3 {
				t.Fatalf("1+N round trips: %d for 6 customers, %d for 3; want 7 and 4", all1N.RoundTrips, few1N.RoundTrips)
			}
			if allBulk.RoundTrips != 2 || fewBulk.RoundTrips != 2 {
				t.Fatalf("bulk round trips: %d and %d, want 2 and 2", allBulk.RoundTrips, fewBulk.RoundTrips)
			}
		})
	}
}

// API composition over HTTP: the Eventuate shape, and 404 for an unknown
// customer.
func TestComposedOrderHistory(t *testing.T) {
	s := start(t, Config{CallLatency: time.Millisecond})
	srv := apiServer(t, s)
	defer srv.Close()
	c := mustCustomer(t, s, "Fred", "2000")
	id := final(t, s, mustOrder(t, s, c, "3000", "")).ID
	code, body := call(t, srv, "GET", "/composed/customers/"+c+"/orderhistory", "")
	if code != 200 || body["customerId"] != c || body["name"] != "Fred" {
		t.Fatalf("composed = %d %v", code, body)
	}
	orders := body["orders"].([]any)
	o := orders[0].(map[string]any)
	if len(orders) != 1 || o["orderId"] != id || o["orderState"] != "REJECTED" || o["rejectionReason"] != "INSUFFICIENT_CREDIT" {
		t.Fatalf("composed orders = %v", orders)
	}
	if code, _ := call(t, srv, "GET", "/composed/customers/nobody/orderhistory", ""); code != 404 {
		t.Fatalf("unknown customer: %d, want 404", code)
	}
	code, body = call(t, srv, "GET", "/queries/valuable-customers?via=composition-1n&state=rejected&minTotal=100", "")
	if code != 200 || body["roundTrips"].(float64) != 2 || len(body["rows"].([]any)) != 1 {
		t.Fatalf("valuable customers = %d %v", code, body)
	}
	row := body["rows"].([]any)[0].(map[string]any)
	if amount(row["total"]) != "3000.00" || amount(row["orders"].([]any)[0].(map[string]any)["orderTotal"]) != "3000.00" {
		t.Fatalf("valuable customers row = %v, want money as {\"amount\": \"3000.00\"}", row)
	}
	code, body = call(t, srv, "GET", "/queries/valuable-customers?via=all&state=REJECTED", "")
	answers, _ := body["answers"].([]any)
	if code != 200 || body["via"] != "all" || body["sameRows"] != true || len(answers) != len(queries.Vias) {
		t.Fatalf("via=all = %d %v, want every way's answer, with the same rows", code, body)
	}
	for i, a := range answers {
		a := a.(map[string]any)
		rows := a["rows"].([]any)
		if a["via"] != queries.Vias[i] || len(rows) != 1 || amount(rows[0].(map[string]any)["total"]) != "3000.00" {
			t.Errorf("via=all, answer %d = %v, want %s's one row", i, a, queries.Vias[i])
		}
	}
	for _, bad := range []string{"via=sql", "state=SHIPPED", "minTotal=-1", "createdAfter=yesterday"} {
		if code, _ := call(t, srv, "GET", "/queries/valuable-customers?"+bad, ""); code != 400 {
			t.Errorf("%s: %d, want 400", bad, code)
		}
	}
}

// With a retention setting, delivered messages are pruned from the outboxes
// but positions carry on, and a view rebuilt from what is left catches up.
func TestRetentionAndRebuild(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DataDir: dir, Retention: time.Nanosecond}
	s, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ids := seed(t, s, 3, 9)
	for _, out := range []*bus.Outbox{s.Orders.Outbox(), s.Customers.Outbox()} {
		if err := out.Prune(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, dir+"/order.db", `SELECT count(*) FROM outbox`); n > 2 {
		t.Fatalf("%d rows left in the order outbox after pruning, want at most one per topic", n)
	}
	if n := count(t, dir+"/customer.db", `SELECT count(*) FROM outbox WHERE stream_id IS NULL AND topic = 'customer.events'`) +
		count(t, dir+"/customer.db", `SELECT count(*) FROM outbox WHERE stream_id IS NOT NULL`); n < 3+9 {
		t.Fatalf("%d customer events left after pruning: the event store's topic must be kept whole", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := RebuildView(context.Background(), dir, nil); err != nil {
		t.Fatal(err)
	}
	s = start(t, cfg)
	final(t, s, mustOrder(t, s, ids[0], "1.00", ""))
	settled(t, s)
	st, err := s.ViewStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range st {
		if v.Lag != 0 || v.Applied == 0 {
			t.Fatalf("view status after a rebuild from a pruned log: %+v", st)
		}
	}
}

// amount reads an {"amount": "12.34"} object.
func amount(v any) any {
	m, _ := v.(map[string]any)
	return m["amount"]
}
