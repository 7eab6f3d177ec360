package jetstream_test

import (
	"context"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"
	"github.com/google/uuid"

	"sagalab/bus/jetstream"
)

// startServer starts an in-process JetStream server (no TCP port) for the
// test.
func startServer(t *testing.T) *jetstream.Server {
	t.Helper()
	ns, err := jetstream.StartServer(jetstream.ServerConfig{InProcessOnly: true, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Close)
	return ns
}

// newTransport connects a transport to ns, closed at the test's end.
func newTransport(t *testing.T, ns *jetstream.Server, ackWait time.Duration) *jetstream.Transport {
	t.Helper()
	tr, err := jetstream.New(context.Background(), jetstream.Config{InProcess: ns.Server, AckWait: ackWait})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// The transport passes Watermill's pub/sub test suite as a persistent,
// ordered pub/sub with consumer groups (a sagalab consumer is a group: one
// durable JetStream consumer per topic). A subscriber made without a group
// gets a group of its own.
func TestPubSub(t *testing.T) {
	ns := startServer(t)
	group := func(t *testing.T, name string) (message.Publisher, message.Subscriber) {
		pub, sub := newTransport(t, ns, 2*time.Second), newTransport(t, ns, 2*time.Second)
		return pub, sub.Subscriber(name)
	}
	tests.TestPubSub(t, tests.Features{
		ConsumerGroups:                      true,
		GuaranteedOrder:                     true,
		GuaranteedOrderWithSingleSubscriber: true,
		Persistent:                          true,
		NewSubscriberReceivesOldMessages:    true,
		ForceShort:                          true,
	}, func(t *testing.T) (message.Publisher, message.Subscriber) {
		return group(t, "test-"+uuid.NewString())
	}, group)
}
