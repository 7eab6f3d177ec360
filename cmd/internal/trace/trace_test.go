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
