package scenario

import (
	"context"
	"os"
	"sagalab/cmd/internal/classroom"
	"testing"
	"time"

	"sagalab/modules/system"
)

// Every scenario that applies to the monolith (no faults, no module down,
// no saga deadline) reaches the same outcome on it as on the services: the
// same expectations hold, and each order is final when its call returns.
func TestScenariosOnMonolith(t *testing.T) {
	all, err := All(os.DirFS("../../../testdata"))
	if err != nil {
		t.Fatal(err)
	}
	ran := map[string]bool{}
	for _, sc := range all {
		if !sc.AppliesTo(system.Monolith) {
			continue
		}
		ran[sc.Name] = true
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			cfg, err := sc.Configure(system.Config{DataDir: t.TempDir(), Architecture: system.Monolith})
			if err != nil {
				t.Fatal(err)
			}
			commits := 0
			s, err := classroom.NewMonolithSession(context.Background(), cfg, func(system.MonolithCommit) { commits++ }, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := sc.Run(ctx, s, func(e Event) error {
				if e.Kind == "order" {
					if o, err := s.Order(ctx, e.ID); err != nil || !o.Final() {
						t.Errorf("order %s right after its call: %v %v, want a final state", e.Ref, o.State, err)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range res.Failures {
				t.Error(f)
			}
			steps := len(sc.Customers)
			for _, st := range sc.Steps {
				if st.Order != "" || st.Cancel != "" {
					steps++
				}
			}
			if commits != steps {
				t.Errorf("%d commits for %d customers, orders and cancels: want one transaction each", commits, steps)
			}
		})
	}
	for _, want := range []string{"monolith-acid", "happy-path", "insufficient-credit", "unknown-customer",
		"cancel-releases-credit", "credit-exactly-used", "crash-after-commit"} {
		if !ran[want] {
			t.Errorf("scenario %s did not run on the monolith", want)
		}
	}
}
