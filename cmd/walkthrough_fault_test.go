package cmd

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"sagalab/cmd/internal/scenario"
	"sagalab/modules/system"
)

// The walkthrough with a module down for a while: the saga waits, a step
// shows the module coming back, and the outcome is the fault-free one.
func TestWalkthroughWithPauseFault(t *testing.T) {
	happy, err := scenario.Load(os.DirFS("../testdata"), "happy-path")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range modes {
		for _, module := range []string{"customer", "order"} {
			t.Run(string(mode)+"/"+module, func(t *testing.T) {
				cfg, err := happy.Configure(system.Config{DataDir: t.TempDir(), SagaMode: mode})
				if err != nil {
					t.Fatal(err)
				}
				cfg.Faults.Pauses = map[string]time.Duration{module: 300 * time.Millisecond}
				var out bytes.Buffer
				if err := walkthrough(context.Background(), &out, happy, cfg, walkOptions{seed: 1}); err != nil {
					t.Fatalf("%v; output:\n%s", err, out.String())
				}
				for _, want := range []string{
					"faults: pause-" + module + "=300ms",
					"(not handled yet)",
					"▸ the " + module + " module is back after 300ms down (pause fault)",
					"order o1   12.34   APPROVED",
					"every expected outcome was met",
				} {
					if !strings.Contains(out.String(), want) {
						t.Errorf("output lacks %q:\n%s", want, out.String())
					}
				}
			})
		}
	}
}
