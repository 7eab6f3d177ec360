package scenario

import (
	"context"
	"os"
	"testing"
	"time"

	"sagalab/bus"
	"sagalab/bus/jetstream"
	"sagalab/cmd/internal/classroom"
	"sagalab/modules/system"
)

// Every shipped scenario passes over NATS JetStream too, in every saga mode:
// an embedded server in the test process (no TCP port), durable consumers,
// a crash that restarts sagalab on the same data and the same broker.
func TestScenariosJetStream(t *testing.T) {
	if testing.Short() {
		t.Skip("JetStream scenarios are not short")
	}
	all, err := All(os.DirFS("../../../testdata"))
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range all {
		if !sc.AppliesTo(system.Microservices) {
			continue
		}
		for _, mode := range modes {
			t.Run(sc.Name+"/"+string(mode), func(t *testing.T) {
				t.Parallel()
				ns, err := jetstream.StartServer(jetstream.ServerConfig{InProcessOnly: true, DataDir: t.TempDir()})
				if err != nil {
					t.Fatal(err)
				}
				defer ns.Close()
				cfg, err := sc.Configure(system.Config{DataDir: t.TempDir(), SagaMode: mode})
				if err != nil {
					t.Fatal(err)
				}
				cfg.Transport = func(ctx context.Context) (bus.Transport, error) {
					return jetstream.New(ctx, jetstream.Config{InProcess: ns.Server, AckWait: time.Second})
				}
				var opt classroom.SessionOptions
				if waited(sc) > time.Second {
					opt.Clock = classroom.NewClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
				}
				s, err := classroom.NewSession(context.Background(), cfg, opt)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				res, err := sc.Run(ctx, s, nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range res.Failures {
					t.Error(f)
				}
				for ref, o := range res.Orders {
					if o.SagaMode != mode {
						t.Errorf("order %s ran in %s, want %s", ref, o.SagaMode, mode)
					}
				}
			})
		}
	}
}
