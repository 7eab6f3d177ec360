package scenario

import (
	"context"
	"os"
	"testing"
	"time"

	"sagalab/cmd/internal/classroom"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/system"
)

// modes are the saga modes every scenario runs in.
var modes = []ordercontract.SagaMode{ordercontract.Choreography, ordercontract.Orchestration}

// Every shipped scenario passes through the real modules, bus and SQLite
// files, in every saga mode.
func TestScenarios(t *testing.T) {
	all, err := All(os.DirFS("../../../testdata"))
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 5 {
		t.Fatalf("only %d scenarios in testdata/scenarios", len(all))
	}
	for _, sc := range all {
		for _, mode := range modes {
			t.Run(sc.Name+"/"+string(mode), func(t *testing.T) {
				t.Parallel()
				cfg, err := sc.Configure(system.Config{DataDir: t.TempDir(), SagaMode: mode})
				if err != nil {
					t.Fatal(err)
				}
				s, err := classroom.NewSession(context.Background(), cfg, classroom.SessionOptions{})
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
