package scenario

import (
	"context"
	"os"
	"testing"
	"time"

	"sagalab/bus"
	"sagalab/bus/jetstream"
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
		for _, mode := range sc.Modes(modes) {
			t.Run(sc.Name+"/"+string(mode), func(t *testing.T) {
				t.Parallel()
				ns, err := jetstream.StartServer(jetstream.ServerConfig{InProcessOnly: true, DataDir: t.TempDir()})
				if err != nil {
					t.Fatal(err)
				}
				defer ns.Close()
				runScenario(t, sc, mode, func(cfg *system.Config) {
					cfg.Transport = func(ctx context.Context) (bus.Transport, error) {
						return jetstream.New(ctx, jetstream.Config{InProcess: ns.Server, AckWait: time.Second})
					}
				})
			})
		}
	}
}
