package trace

import (
	"slices"
	"strings"
	"testing"
	"time"

	"sagalab/bus"
)

// TestOneBoxPerTransaction checks that the messages one initiating
// transaction wrote make one box, which lists them, while a later
// transaction of the same module keeps its own.
func TestOneBoxPerTransaction(t *testing.T) {
	at := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
	sent := func(seq int64, typ, topic, effect string, at time.Time) bus.Traffic {
		return bus.Traffic{At: at, Module: "order", Sent: true, Effect: effect, Delivered: true,
			Envelope: bus.Envelope{ID: typ + "-id", Type: typ, Topic: topic, Seq: seq, CorrelationID: "o1"}}
	}
	traffic := []bus.Traffic{
		sent(1, "OrderCreated", "order.events", "order o1 stored PENDING, 12.34, for customer c1", at),
		sent(2, "PrepareCreateOrder", "order.commands",
			"order o1 stored PENDING; transaction logged PREPARING; PREPARE sent to both participants", at),
		sent(3, "PrepareReserveCredit", "customer.commands", "", at),
		sent(4, "AbortTransaction", "order.commands", "transaction o1 timed out", at.Add(time.Minute)),
	}
	tr := Build("o1", "2pc", "REJECTED", []string{"order", "customer", "history"}, traffic, nil)
	var boxes []Step
	for _, st := range tr.Steps {
		if st.Kind == Transaction {
			boxes = append(boxes, st)
		}
	}
	if len(boxes) != 2 {
		t.Fatalf("%d boxes, want 2 (one per transaction): %+v", len(boxes), boxes)
	}
	first := boxes[0]
	if want := []string{"OrderCreated", "PrepareCreateOrder", "PrepareReserveCredit"}; !slices.Equal(first.Emits, want) {
		t.Errorf("the first box emits %v, want %v", first.Emits, want)
	}
	if n := strings.Count(first.Effect, "stored PENDING"); n != 1 || !strings.Contains(first.Effect, "PREPARE sent") {
		t.Errorf("the first box says %q: want each change once", first.Effect)
	}
	if boxes[1].Emits != nil || boxes[1].Effect != "transaction o1 timed out" {
		t.Errorf("the later transaction's box is %+v", boxes[1])
	}
	if got := Initiating(traffic); len(got) != 2 || !slices.Equal(got[0].Emits, first.Emits) {
		t.Errorf("Initiating gives %+v, want the boxes Build draws", got)
	}
	var out strings.Builder
	if err := Text(&out, tr, tr.Steps, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "┌"); n != 2 {
		t.Errorf("the diagram draws %d boxes, want 2:\n%s", n, out.String())
	}
	if !strings.Contains(out.String(), "emits OrderCreated, PrepareCreateOrder,") {
		t.Errorf("the box does not list what it emitted:\n%s", out.String())
	}
}
