package bus

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"
)

// The in-process pub/sub passes Watermill's own checks for a Publisher and
// Subscriber, with the features it claims: one instance, each message
// once, the publisher's context kept. Like Watermill's GoChannel in its
// own tests, it runs them persistent: they hand a later subscription what
// an earlier one left unacknowledged. Like Watermill's GoChannel in its
// own tests, it runs them persistent: they hand a later subscription what
// an earlier one left unacknowledged.
func TestPubSubWatermill(t *testing.T) {
	if testing.Short() {
		t.Skip("Watermill's pub/sub checks take a few seconds")
	}
	tests.TestPubSub(t, tests.Features{
		ExactlyOnceDelivery:   true,
		RequireSingleInstance: true,
		ContextPreserved:      true,
	}, func(t *testing.T) (message.Publisher, message.Subscriber) {
		ps := newPubSub(true)
		return ps, ps
	}, nil)
}

// receive reads n messages from ch, acknowledging them unless nack.
func receive(t *testing.T, ch <-chan *message.Message, n int, nack bool) []string {
	t.Helper()
	var got []string
	for range n {
		select {
		case m, ok := <-ch:
			if !ok {
				t.Fatalf("channel closed after %v", got)
			}
			got = append(got, m.UUID)
			if nack {
				m.Nack()
			} else {
				m.Ack()
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("got %v, then nothing", got)
		}
	}
	return got
}

func publish(t *testing.T, p message.Publisher, topic string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := p.Publish(topic, message.NewMessage(id, []byte(id))); err != nil {
			t.Fatal(err)
		}
	}
}

// A subscription gets its topic's messages in the order they were
// published, those published before it subscribed first, without waiting
// for acknowledgements; a nacked one comes again after those waiting.
func TestPubSubOrderAndNack(t *testing.T) {
	ps := newPubSub(false)
	defer ps.Close()
	publish(t, ps, "t", "a", "b")
	ch, err := ps.Subscribe(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	publish(t, ps, "t", "c", "d")
	publish(t, ps, "other", "x")
	var held []*message.Message
	for range 2 {
		held = append(held, <-ch) // a and b, left unacknowledged
	}
	if got := receive(t, ch, 2, false); !slices.Equal(got, []string{"c", "d"}) {
		t.Fatalf("after a and b (unacknowledged) got %v, want [c d]", got)
	}
	held[0].Ack()
	held[1].Nack()
	if got := receive(t, ch, 1, false); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("after the nack got %v, want [b]", got)
	}
	select {
	case m := <-ch:
		t.Fatalf("got %s, want nothing more", m.UUID)
	case <-time.After(50 * time.Millisecond):
	}
}

// Each subscription to a topic gets a copy of each message, acknowledged on
// its own; a subscription whose context ends gets nothing more.
func TestPubSubCopies(t *testing.T) {
	ps := newPubSub(false)
	defer ps.Close()
	ctx, cancel := context.WithCancel(context.Background())
	first, err := ps.Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	second, err := ps.Subscribe(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	orig := message.NewMessage("a", []byte("payload"))
	orig.Metadata.Set("k", "v")
	if err := ps.Publish("t", orig); err != nil {
		t.Fatal(err)
	}
	m1, m2 := <-first, <-second
	if m1 == orig || m2 == orig || m1 == m2 {
		t.Fatal("a subscription got the published message itself or another's copy")
	}
	for _, m := range []*message.Message{m1, m2} {
		if m.UUID != "a" || string(m.Payload) != "payload" || m.Metadata.Get("k") != "v" {
			t.Fatalf("copy %s %q %v, want a \"payload\" k=v", m.UUID, m.Payload, m.Metadata)
		}
	}
	m1.Ack()
	m2.Nack()
	if got := receive(t, second, 1, false); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("the nacking subscription got %v again, want [a]", got)
	}
	cancel()
	if _, ok := <-first; ok {
		t.Fatal("a subscription whose context ended got a message")
	}
	publish(t, ps, "t", "b")
	if got := receive(t, second, 1, false); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("the remaining subscription got %v, want [b]", got)
	}
}

// Close ends every subscription and returns once their goroutines are
// done; publishing and subscribing after it fail.
func TestPubSubClose(t *testing.T) {
	ps := newPubSub(false)
	var chans []<-chan *message.Message
	for i := range 3 {
		ch, err := ps.Subscribe(context.Background(), fmt.Sprint("t", i))
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, ch)
	}
	publish(t, ps, "t0", "a", "b") // undelivered: dropped on close
	if err := ps.Close(); err != nil {
		t.Fatal(err)
	}
	for _, ch := range chans {
		for range ch { // closed, once the queued messages are dropped
		}
	}
	if err := ps.Publish("t0", message.NewMessage("c", nil)); err == nil {
		t.Error("publish after close: no error")
	}
	if _, err := ps.Subscribe(context.Background(), "t0"); err == nil {
		t.Error("subscribe after close: no error")
	}
	if err := ps.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}

// The in-process transport hands a message only to the consumers named, and
// only to those subscribed to its topic; Publish goes to every subscriber.
func TestInProcessPublishTo(t *testing.T) {
	tr := NewInProcess()
	defer tr.Close()
	subscribe := func(consumer, topic string) <-chan *message.Message {
		ch, err := tr.Subscriber(consumer).Subscribe(context.Background(), topic)
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	a, b := subscribe("a", "t"), subscribe("b", "t")
	tr.Subscriber("c") // not subscribed to t
	if err := tr.PublishTo([]string{"b", "c"}, "t", message.NewMessage("1", nil)); err != nil {
		t.Fatal(err)
	}
	if err := tr.Publish("t", message.NewMessage("2", nil)); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, b, 2, false); !slices.Equal(got, []string{"1", "2"}) {
		t.Fatalf("b got %v, want [1 2]", got)
	}
	if got := receive(t, a, 1, false); !slices.Equal(got, []string{"2"}) {
		t.Fatalf("a got %v, want [2]", got)
	}
	tr.mu.Lock()
	waiting := len(tr.consumers["c"].waiting)
	tr.mu.Unlock()
	if waiting != 0 {
		t.Errorf("a consumer not subscribed to the topic keeps %d topics of messages", waiting)
	}
}
