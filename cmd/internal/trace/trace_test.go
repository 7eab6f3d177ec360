package trace

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTextFitsAndMarks(t *testing.T) {
	tr := Trace{OrderID: "o1", SagaMode: "choreography", State: "CANCELLED", Participants: []string{"order", "customer", "history"}}
	steps := []Step{
		{Kind: Transaction, From: "order", Effect: "order o1 stored PENDING, " + strings.Repeat("very long effect text ", 10)},
		{Kind: Message, From: "order", To: "history", Type: "OrderCreated", Summary: strings.Repeat("x", 120)},
		{Kind: Message, From: "customer", To: "order", Type: "CustomerCreditReleased", Topic: "order.replies", Compensation: true},
		{Kind: Message, From: "order", To: "customer", Type: "OrderCreated", Duplicate: true},
		{Kind: Transaction, From: "history", Effect: ""},
	}
	var out bytes.Buffer
	if err := Text(&out, tr, steps, TextOptions{Header: true}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for i, line := range strings.Split(text, "\n") {
		if n := utf8.RuneCountInString(line); n > Width {
			t.Errorf("line %d is %d wide: %q", i+1, n, line)
		}
	}
	for _, want := range []string{"Order service", "◀", "▶", "⟲ CustomerCreditReleased (reply)", "(duplicate, ignored)", "no change"} {
		if !strings.Contains(text, want) {
			t.Errorf("diagram lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "\x1b[") {
		t.Error("colours without TextOptions.Color")
	}
}

func TestShorten(t *testing.T) {
	got := ShortenUUIDs("customer 0f6dfdd2-7a64-4225-8af2-624ade9c44eb has order dcfdbfed-b925-474e-a32d-bf90761ff635")
	if got != "customer 0f6dfdd2 has order dcfdbfed" {
		t.Fatalf("ShortenUUIDs = %q", got)
	}
	if s := Summarize([]byte(`{"orderTotal":"12.34","reason":"INSUFFICIENT_CREDIT","orderId":"o1"}`)); s != "12.34 INSUFFICIENT_CREDIT" {
		t.Fatalf("Summarize = %q", s)
	}
}

// TestCoordinatorInOrderLane checks that the two-phase commit coordinator,
// a consumer of its own, is drawn in the Order service's lane: a vote from
// the Customer service is an arrow between the two lifelines, not a stub.
func TestCoordinatorInOrderLane(t *testing.T) {
	tr := Trace{OrderID: "o1", SagaMode: "2pc", Participants: []string{"order", "customer", "history"}}
	tr.Steps = []Step{
		{Kind: Message, From: "customer", To: "coordinator", Type: "VoteCommit", Topic: "order.coordinator"},
		{Kind: Transaction, From: "coordinator", Effect: "logged"},
	}
	var out bytes.Buffer
	if err := Text(&out, tr, tr.Steps, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	order, customer := lane(tr.Participants, "order"), lane(tr.Participants, "customer")
	arrow := "│◀" + strings.Repeat("─", customer-order-2) + "│"
	if got := string([]rune(lines[1])[order : customer+1]); got != arrow {
		t.Errorf("the vote is drawn %q, want %q from the Customer to the Order lifeline", got, arrow)
	}
	if !strings.Contains(lines[0], "VoteCommit → coordinator") {
		t.Errorf("the arrow does not name its consumer: %q", lines[0])
	}
	box := "│ coordinator: logged │"
	col := strings.Index(lines[3], box) // only spaces before it: bytes are columns
	if mid := col + utf8.RuneCountInString(box)/2; col < 0 || mid < order-2 || mid > order+2 {
		t.Errorf("the coordinator's box is not centred on the Order lifeline (column %d): %q", order, lines[3])
	}
	out.Reset()
	if err := Mermaid(&out, tr); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"customer->>order: VoteCommit → coordinator", "Note over order: local transaction: coordinator: logged"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("Mermaid lacks %q:\n%s", want, out.String())
		}
	}
}
