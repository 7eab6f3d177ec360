package bus

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

type thing struct {
	N    int  `json:"n"`
	Keep bool `json:"keep"`
}

// A consumer handles, each in a transaction with its inbox row, only the
// messages its registrations need: a type it has no handler for, or one
// its handler's condition declines, is acknowledged with no transaction
// and no inbox row, and the handler gets the payload decoded. The
// in-process transport (Addressed) does not even deliver those; a broker
// delivers them and the consumer ignores them.
func TestConsumerHandlesOnlyWhatItNeeds(t *testing.T) {
	for _, tc := range []struct {
		name       string
		transport  func() Transport
		deliveries int
	}{
		{"in-process", func() Transport { return NewInProcess() }, 1},
		{"broker", func() Transport { return brokerLike{NewInProcess()} }, 3},
	} {
		t.Run(tc.name, func(t *testing.T) { testConsumerHandlesOnlyWhatItNeeds(t, tc.transport(), tc.deliveries) })
	}
}

func testConsumerHandlesOnlyWhatItNeeds(t *testing.T, transport Transport, wantDeliveries int) {
	dbs := openDBs(t, "src", "dst")
	src, dst := dbs[0], dbs[1]
	var mu sync.Mutex
	var deliveries []Delivery
	b, err := New(Config{PollInterval: 10 * time.Millisecond, Transport: transport, Observer: ObserverFunc(func(d Delivery) {
		mu.Lock()
		defer mu.Unlock()
		deliveries = append(deliveries, d)
	})})
	if err != nil {
		t.Fatal(err)
	}
	out := b.Outbox("producer", src)
	var got []int
	HandleIf(b.Consumer("consumer", dst, nil), "things", "Thing",
		func(_ context.Context, m Received[thing]) (bool, error) { return m.Data.Keep, nil },
		func(_ context.Context, tx *Tx, m Received[thing]) error {
			mu.Lock()
			got = append(got, m.Data.N)
			mu.Unlock()
			tx.Note("thing %d", m.Data.N)
			return nil
		})
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = out.Write(context.Background(), func(tx *Tx) error {
		return tx.Emit(context.Background(),
			Message{Topic: "things", Type: "Thing", CorrelationID: "c", Payload: thing{N: 1, Keep: true}},
			Message{Topic: "things", Type: "Thing", CorrelationID: "c", Payload: thing{N: 2}},
			Message{Topic: "things", Type: "Other", CorrelationID: "c", Payload: thing{N: 3, Keep: true}})
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the deliveries", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(deliveries) == wantDeliveries && b.Idle()
	})
	if !slices.Equal(got, []int{1}) {
		t.Errorf("handled %v, want [1]", got)
	}
	var inbox []string
	rows, err := dst.Reader().Query(`SELECT effect FROM inbox ORDER BY received_at`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			t.Fatal(err)
		}
		inbox = append(inbox, e)
	}
	if !slices.Equal(inbox, []string{"thing 1"}) {
		t.Errorf("inbox effects %q, want only the needed message's", inbox)
	}
	ignored := 0
	for _, d := range deliveries {
		if d.Ignored {
			ignored++
		}
	}
	if ignored != wantDeliveries-1 {
		t.Errorf("%d deliveries ignored, want %d: %+v", ignored, wantDeliveries-1, deliveries)
	}
}
