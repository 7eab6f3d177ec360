package jetstream_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"sagalab/bus/jetstream"
)

// freeAddrs returns n loopback addresses nobody listens on.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ln.Addr().String())
		ln.Close()
	}
	return out
}

// Three brokers on loopback form a cluster that keeps each message three
// times: the transport waits for the leader election, then publishes and
// consumes through any member.
func TestThreeNodeCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("a cluster elects its leader in seconds")
	}
	clients, routes := freeAddrs(t, 3), freeAddrs(t, 3)
	var urls []string
	for i := range 3 {
		var others []string
		for j, r := range routes {
			if j != i {
				others = append(others, "nats://"+r)
			}
		}
		ns, err := jetstream.StartServer(jetstream.ServerConfig{Addr: clients[i], DataDir: t.TempDir(),
			ServerName: fmt.Sprintf("n%d", i+1), ClusterName: "lab", ClusterAddr: routes[i], Routes: others})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(ns.Close)
		urls = append(urls, ns.URL())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tr, err := jetstream.New(ctx, jetstream.Config{URL: strings.Join(urls, ","), Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	info, err := tr.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Replicas != 3 {
		t.Fatalf("stream has %d replicas, want 3", info.Config.Replicas)
	}
	msgs, err := tr.Subscriber("c").Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Publish("t", message.NewMessage("m1", []byte("hello"))); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-msgs:
		if m.UUID != "m1" || string(m.Payload) != "hello" {
			t.Fatalf("got %s %q, want m1 hello", m.UUID, m.Payload)
		}
		m.Ack()
	case <-ctx.Done():
		t.Fatal("no message through the cluster")
	}
}
