package history

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"pgregory.net/rapid"

	"sagalab/bus"
	customercontract "sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
	"sagalab/modules/shared/queries"
	"sagalab/storage"
)

// events builds a plausible event stream: customers, then orders that end
// approved, rejected or cancelled. Positions are per topic, in order.
func events(customers, orders int, fate func(i int) int) []bus.Envelope {
	var out []bus.Envelope
	pos := map[string]int64{}
	add := func(topic, typ string, payload any) {
		b, _ := json.Marshal(payload)
		pos[topic]++
		out = append(out, bus.Envelope{ID: fmt.Sprintf("m%d", len(out)), Topic: topic, Type: typ,
			Position: pos[topic], Payload: b})
	}
	for c := range customers {
		add(customercontract.EventsTopic, customercontract.CustomerCreated, customercontract.CreatedEvent{
			CustomerID: fmt.Sprintf("c%d", c), Name: fmt.Sprintf("Customer %d", c), CreditLimit: 2000_00,
			CreatedAt: time.Unix(int64(c), 0)})
	}
	for o := range orders {
		id, cust, total := fmt.Sprintf("o%d", o), fmt.Sprintf("c%d", o%customers), money.Money(100*(o+1))
		add(ordercontract.EventsTopic, ordercontract.OrderCreated, ordercontract.CreatedEvent{OrderID: id, CustomerID: cust, OrderTotal: total})
		// Credit events share the topic and must count for positions too.
		add(customercontract.EventsTopic, customercontract.CustomerCreditReserved, customercontract.CreditReserved{CustomerID: cust, OrderID: id, OrderTotal: total})
		switch fate(o) {
		case 0:
			add(ordercontract.EventsTopic, ordercontract.OrderApproved, ordercontract.ApprovedEvent{OrderID: id, CustomerID: cust, OrderTotal: total})
		case 1:
			add(ordercontract.EventsTopic, ordercontract.OrderRejected, ordercontract.RejectedEvent{OrderID: id, CustomerID: cust, OrderTotal: total, Reason: "X"})
		default:
			add(ordercontract.EventsTopic, ordercontract.OrderApproved, ordercontract.ApprovedEvent{OrderID: id, CustomerID: cust, OrderTotal: total})
			add(ordercontract.EventsTopic, ordercontract.OrderCancelled, ordercontract.CancelledEvent{OrderID: id, CustomerID: cust, OrderTotal: total})
		}
	}
	return out
}

// fataler is what both *testing.T and *rapid.T offer.
type fataler interface {
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// openView opens a fresh view in dir; the caller closes its database.
func openView(t fataler, dir string) *View {
	db, err := storage.Open(context.Background(), filepath.Join(dir, FileName), Migrations(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &View{db: db}
}

// snapshot is everything the view answers: each document, the positions,
// and the valuable-customers query for each order state.
func snapshot(t fataler, v *View, customers int) ([]any, []bus.Position) {
	ctx := context.Background()
	var docs []any
	for _, st := range []ordercontract.State{ordercontract.Approved, ordercontract.Rejected, ordercontract.Cancelled} {
		rows, _, err := v.ValuableCustomers(ctx, queries.ValuableCustomers{State: st, MoreThan: 100, CreatedAfter: time.Unix(0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, rows)
	}
	for c := range customers {
		d, err := v.Document(ctx, fmt.Sprintf("c%d", c))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	pos, err := v.Positions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return docs, pos
}

func applyEach(t fataler, v *View, evs []bus.Envelope) {
	for _, e := range evs {
		if err := ApplyBatch(context.Background(), v.db, []bus.Envelope{e}); err != nil {
			t.Fatal(err)
		}
	}
}

// The Eventuate OrderHistoryViewService case: credit 2000; an order of 1234
// approved and one of 3000 rejected give two entries with those states.
func TestOrderHistoryDocument(t *testing.T) {
	v := openView(t, t.TempDir())
	defer v.db.Close()
	evs := events(1, 2, func(i int) int { return i })
	applyEach(t, v, evs)
	d, err := v.Document(context.Background(), "c0")
	if err != nil {
		t.Fatal(err)
	}
	want := []OrderEntry{{"o0", ordercontract.Approved, 100}, {"o1", ordercontract.Rejected, 200}}
	if d.Name != "Customer 0" || d.CreditLimit != 2000_00 || !reflect.DeepEqual(d.Orders, want) {
		t.Fatalf("document = %+v", d)
	}
	if _, err := v.Document(context.Background(), "nobody"); err != ErrNotFound {
		t.Fatalf("unknown customer: %v, want ErrNotFound", err)
	}
}

// Whatever the delivery order and however many copies arrive, the view
// converges to the document and positions of an in-order delivery.
func TestViewConvergesUnderShuffleAndDuplicates(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		customers := rapid.IntRange(1, 3).Draw(rt, "customers")
		orders := rapid.IntRange(0, 6).Draw(rt, "orders")
		fates := rapid.SliceOfN(rapid.IntRange(0, 2), orders, orders).Draw(rt, "fates")
		evs := events(customers, orders, func(i int) int { return fates[i] })

		inOrder := openView(rt, t.TempDir())
		defer inOrder.db.Close()
		applyEach(rt, inOrder, evs)
		wantDocs, wantPos := snapshot(rt, inOrder, customers)

		// Every event at least once, some twice, in a random order.
		var delivery []bus.Envelope
		for _, e := range evs {
			copies := rapid.IntRange(1, 2).Draw(rt, "copies")
			for range copies {
				delivery = append(delivery, e)
			}
		}
		perm := rapid.Permutation(delivery).Draw(rt, "order")
		shuffled := openView(rt, t.TempDir())
		defer shuffled.db.Close()
		applyEach(rt, shuffled, perm)
		docs, pos := snapshot(rt, shuffled, customers)
		if !reflect.DeepEqual(docs, wantDocs) {
			rt.Fatalf("documents differ:\n got %+v\nwant %+v", docs, wantDocs)
		}
		if !reflect.DeepEqual(pos, wantPos) {
			rt.Fatalf("positions %v, want %v", pos, wantPos)
		}
	})
}
