package eventstore

import (
	"context"
	"fmt"
	"testing"

	"sagalab/bus"
)

// BenchmarkAppend appends events to one stream, one per transaction or in
// batches of 100 per transaction, and reports events per second.
func BenchmarkAppend(b *testing.B) {
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			s, _ := openStore(b)
			ctx := context.Background()
			events := make([]NewEvent, batch)
			for i := range events {
				events[i] = NewEvent{Type: "Added", Data: counted{i}}
			}
			var version int64
			b.ResetTimer()
			for range b.N {
				err := s.out.Write(ctx, func(tx *bus.Tx) error {
					_, err := s.Append(ctx, tx, "bench", version, events...)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				version += int64(batch)
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
