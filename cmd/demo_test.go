package cmd

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sagalab/bus"
)

// The demo prints each message after the handling that caused it, even
// when the consumers report in another order, and says what kind of
// message it is.
func TestMessageLogOrdersByCausation(t *testing.T) {
	var out bytes.Buffer
	l := newMessageLog(&out)
	l.names["o-1"] = "o1"
	msg := func(id, cause, source, consumer, topic, typ string) bus.Delivery {
		d := bus.Delivery{Envelope: bus.Envelope{ID: id, CausationID: cause, Source: source, Topic: topic, Type: typ,
			CorrelationID: "o-1"}, Consumer: consumer}
		if consumer != "history" {
			d.Module = consumer
		}
		return d
	}
	command := msg("m2", "", "order", "customer", "customer.commands", "ReserveCredit")
	reply := msg("m3", "m2", "customer", "order", "order.replies", "CustomerCreditReserved")
	event := msg("m4", "m2", "customer", "history", "customer.events", "CustomerCreditReserved")
	approved := msg("m5", "m3", "order", "history", "order.events", "OrderApproved")
	ignored := msg("m4", "m2", "customer", "order", "customer.events", "CustomerCreditReserved")
	ignored.Ignored = true
	orphan := msg("m9", "m8", "order", "history", "order.events", "OrderRejected")
	duplicate := reply
	duplicate.Duplicate = true

	for _, d := range []bus.Delivery{orphan, reply, event, ignored, command, duplicate, approved} {
		l.Handled(d)
	}
	l.flush()
	want := `          order    → customer  command ReserveCredit                  o1
          customer → order     reply CustomerCreditReserved           o1
          customer → history   event CustomerCreditReserved           o1
          customer → order     reply CustomerCreditReserved           o1  (duplicate, ignored)
          order    → history   event OrderApproved                    o1
          order    → history   event OrderRejected                    o1
`
	if out.String() != want {
		t.Errorf("printed\n%s\nwant\n%s", out.String(), want)
	}
	if handled, dups := l.counts(); handled != 5 || dups != 1 {
		t.Errorf("counts %d handled, %d duplicates; want 5 and 1", handled, dups)
	}
}

// A message waits for its cause as handled by the module that sent it, not
// by another consumer of the cause.
func TestMessageLogWaitsForTheSendingModule(t *testing.T) {
	var out bytes.Buffer
	l := newMessageLog(&out)
	l.names["o-1"] = "o1"
	created := bus.Delivery{Envelope: bus.Envelope{ID: "m1", Source: "order", Topic: "order.events", Type: "OrderCreated",
		CorrelationID: "o-1"}, Consumer: "history"}
	reserved := bus.Delivery{Envelope: bus.Envelope{ID: "m2", CausationID: "m1", Source: "customer",
		Topic: "customer.events", Type: "CustomerCreditReserved", CorrelationID: "o-1"}, Consumer: "order", Module: "order"}
	createdHere := created
	createdHere.Consumer, createdHere.Module = "customer", "customer"
	for _, d := range []bus.Delivery{created, reserved, createdHere} {
		l.Handled(d)
	}
	l.flush()
	want := `          order    → history   event OrderCreated                     o1
          order    → customer  event OrderCreated                     o1
          customer → order     event CustomerCreditReserved           o1
`
	if out.String() != want {
		t.Errorf("printed\n%s\nwant\n%s", out.String(), want)
	}
}

// A demo run, in both modes: labelled messages, each after its cause, and a
// last line that says how to look further.
func TestDemoOutput(t *testing.T) {
	for _, tc := range []struct {
		mode  string
		lines []string // in this order
	}{
		{"choreography", []string{
			"customer → history   event CustomerCreated ",
			"order    → customer  event OrderCreated ",
			"customer → order     event CustomerCreditReserved ",
			"order    → history   event OrderApproved ",
		}},
		{"orchestration", []string{
			"customer → history   event CustomerCreated ",
			"order    → customer  command ReserveCredit ",
			"customer → order     reply CustomerCreditReserved ",
			"order    → history   event OrderApproved ",
		}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			out, err := runAll(t, "demo", "happy-path", "--saga", tc.mode, "--data", dir)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			at := 0
			for _, want := range tc.lines {
				i := strings.Index(out[at:], want)
				if i < 0 {
					t.Fatalf("no %q after byte %d of:\n%s", want, at, out)
				}
				at += i
			}
			unlabelled := regexp.MustCompile(`(?m)^ {10}\w+ +→ \w+ +[A-Z]`)
			if m := unlabelled.FindString(out); m != "" {
				t.Errorf("a message without a label: %q", m)
			}
			last := strings.Split(strings.TrimRight(out, "\n"), "\n")
			if got := strings.Join(last[len(last)-2:], "\n"); !strings.HasPrefix(got, "Look further: sagalab trace o1 --data "+dir+"\n") {
				t.Errorf("the demo ends with\n%s\nwant the trace command for o1", got)
			}
			for i, l := range strings.Split(out, "\n") {
				if len([]rune(l)) > 100 {
					t.Errorf("line %d is wider than 100 columns: %s", i+1, l)
				}
			}
		})
	}
	out, err := runAll(t, "demo", "happy-path")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "The temporary data directory is deleted at exit") || !strings.Contains(out, "--data DIR") {
		t.Errorf("a demo on a temporary directory does not say how to keep it:\n%s", out)
	}
}
