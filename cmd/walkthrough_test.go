package cmd

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sagalab/bus"
	"sagalab/cmd/internal/classroom"
	"sagalab/cmd/internal/scenario"
	"sagalab/cmd/internal/trace"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/system"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

var modes = []ordercontract.SagaMode{ordercontract.Choreography, ordercontract.Orchestration}

func scenarios(t *testing.T) []*scenario.Scenario {
	all, err := scenario.All(os.DirFS("../testdata"))
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// golden compares got with the golden file, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test ./cmd -update rewrites it); got:\n%s", path, got)
	}
}

// The walkthrough of every built-in scenario, in both modes, with a fixed
// seed: byte for byte the golden output, at most 100 columns wide.
func TestWalkthroughGolden(t *testing.T) {
	for _, sc := range scenarios(t) {
		if !sc.AppliesTo(system.Microservices) {
			t.Run(sc.Name+"/monolith", func(t *testing.T) {
				t.Parallel()
				var out bytes.Buffer
				cfg, err := sc.Configure(system.Config{DataDir: t.TempDir()})
				if err != nil {
					t.Fatal(err)
				}
				if err := walkthrough(context.Background(), &out, sc, cfg, walkOptions{seed: 1}); err != nil {
					t.Fatal(err)
				}
				checkWidth(t, "walkthrough "+sc.Name, out.String())
				golden(t, "walkthrough/"+sc.Name+".monolith.txt", out.Bytes())
			})
			continue
		}
		for _, mode := range sc.Modes(modes) {
			t.Run(sc.Name+"/"+string(mode), func(t *testing.T) {
				t.Parallel()
				var out bytes.Buffer
				cfg, err := sc.Configure(system.Config{DataDir: t.TempDir(), SagaMode: mode})
				if err != nil {
					t.Fatal(err)
				}
				if err := walkthrough(context.Background(), &out, sc, cfg, walkOptions{seed: 1}); err != nil {
					t.Fatal(err)
				}
				for i, line := range strings.Split(out.String(), "\n") {
					if n := len([]rune(line)); n > 100 {
						t.Errorf("line %d is %d columns wide: %s", i+1, n, line)
					}
				}
				golden(t, "walkthrough/"+sc.Name+"."+string(mode)+".txt", out.Bytes())
			})
		}
	}
}

// The trace of each scenario's first order, as text and as Mermaid, from a
// repeatable run.
func TestTraceGolden(t *testing.T) {
	for _, sc := range scenarios(t) {
		if len(sc.OrderRefs()) == 0 || !sc.AppliesTo(system.Microservices) {
			continue // no messages to trace in the monolith
		}
		for _, mode := range sc.Modes(modes) {
			t.Run(sc.Name+"/"+string(mode), func(t *testing.T) {
				t.Parallel()
				tr := repeatableTrace(t, sc, mode)
				var text, mermaid bytes.Buffer
				if err := writeTrace(&text, tr, "text"); err != nil {
					t.Fatal(err)
				}
				if err := writeTrace(&mermaid, tr, "mermaid"); err != nil {
					t.Fatal(err)
				}
				checkMermaid(t, mermaid.String())
				golden(t, "trace/"+sc.Name+"."+string(mode)+".txt", text.Bytes())
				golden(t, "trace/"+sc.Name+"."+string(mode)+".mmd", mermaid.Bytes())
			})
		}
	}
}

func repeatableTrace(t *testing.T, sc *scenario.Scenario, mode ordercontract.SagaMode) trace.Trace {
	cfg, err := sc.Configure(system.Config{DataDir: t.TempDir(), SagaMode: mode, IDs: classroom.SequentialIDs()})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Faults.Seed = 1
	clock := classroom.NewClock(testStart)
	step := func(bus.Stepped) error { clock.Advance(10 * 1e6); return nil }
	sess, err := classroom.NewSession(context.Background(), cfg, classroom.SessionOptions{Clock: clock, Step: step})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	res, err := sc.Run(context.Background(), sess, func(scenario.Event) error { clock.Advance(10 * 1e6); return nil })
	if err != nil {
		t.Fatal(err)
	}
	tr, err := trace.Of(context.Background(), sess.System(), res.IDs[sc.OrderRefs()[0]])
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

var (
	mermaidParticipant = regexp.MustCompile(`^    participant (\w+) as .+$`)
	mermaidArrow       = regexp.MustCompile(`^    (\w+)(->>|-x)(\w+): .+$`)
	mermaidNote        = regexp.MustCompile(`^    Note over (\w+): .+$`)
)

// checkMermaid checks the diagram's structure: a sequenceDiagram whose
// participants are declared before use, and whose every arrow and note is
// between declared participants.
func checkMermaid(t *testing.T, src string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(src, "\n"), "\n")
	if lines[0] != "sequenceDiagram" {
		t.Fatalf("first line %q, want sequenceDiagram", lines[0])
	}
	declared := map[string]bool{}
	arrows := 0
	for i, l := range lines[1:] {
		switch {
		case strings.HasPrefix(l, "    title "):
		case mermaidParticipant.MatchString(l):
			declared[mermaidParticipant.FindStringSubmatch(l)[1]] = true
		case mermaidArrow.MatchString(l):
			m := mermaidArrow.FindStringSubmatch(l)
			if !declared[m[1]] || !declared[m[3]] {
				t.Errorf("line %d: arrow between undeclared participants: %s", i+2, l)
			}
			arrows++
		case mermaidNote.MatchString(l):
			if m := mermaidNote.FindStringSubmatch(l); !declared[m[1]] {
				t.Errorf("line %d: note over an undeclared participant: %s", i+2, l)
			}
		default:
			t.Errorf("line %d is not a Mermaid statement sagalab writes: %q", i+2, l)
		}
		if strings.Contains(l, ";") {
			t.Errorf("line %d has a ';', which ends a Mermaid statement: %s", i+2, l)
		}
	}
	if len(declared) == 0 || arrows == 0 {
		t.Errorf("%d participants and %d arrows: not a sequence diagram worth drawing", len(declared), arrows)
	}
}
