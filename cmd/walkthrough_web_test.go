package cmd

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"sagalab/cmd/internal/browsertest"
	"sagalab/cmd/internal/scenario"
	"sagalab/cmd/internal/web"
	"sagalab/modules/system"
)

// walkPage serves the walkthrough of the scenario called name with cfg as
// the web walkthrough does and opens its page in headless Chromium at
// 1280×720. On failure it saves a screenshot. done reports the
// walkthrough's end.
func walkPage(t *testing.T, name string, cfg system.Config) (page context.Context, done <-chan error) {
	t.Helper()
	exe := browsertest.Path(t)
	var sc *scenario.Scenario
	for _, s := range scenarios(t) {
		if s.Name == name {
			sc = s
		}
	}
	if sc == nil {
		t.Fatalf("no %s scenario", name)
	}
	cfg, err := sc.Configure(cfg)
	if err != nil {
		t.Fatal(err)
	}
	walk := web.NewWalk(walkInfo(sc, cfg))
	mux := http.NewServeMux()
	walk.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ended := make(chan error, 1)
	go func() { ended <- walkthrough(ctx, io.Discard, sc, cfg, walkOptions{seed: 1, web: walk}) }()

	return browsertest.Open(t, exe, srv.URL+"/", "#explain", 40*time.Second), ended
}

// pageState reads the step counter and how many arrows and boxes the
// diagram has, once the page is not waiting for a step.
func pageState(t *testing.T, page context.Context) (string, int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s, err := chromedp.Run(page, chromedp.Evaluate[[]any](
			`[document.getElementById("counter").textContent, document.querySelectorAll("#diagram .msg, #diagram .tx").length,
			  document.getElementById("next").disabled && document.getElementById("next").textContent === "working…"]`))
		if err != nil {
			t.Fatal(err)
		}
		if busy, _ := s[2].(bool); !busy && s[0] != "step –" {
			return s[0].(string), int(s[1].(float64))
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page is still busy: %v", s)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// evaluate returns the value of the JavaScript expression js on the page.
func evaluate[T any](t *testing.T, page context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(page, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// The walkthrough in the browser: Next takes the scenario's steps one by one
// and the diagram grows; Back shows an earlier step again; the last Next
// shows the summary. In both saga modes.
func TestWalkthroughInTheBrowser(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			page, done := walkPage(t, "insufficient-credit", system.Config{DataDir: t.TempDir(), SagaMode: mode})
			state := func() (string, int) { t.Helper(); return pageState(t, page) }
			counter, parts := state()
			if counter != "step 1 of 1+" {
				t.Fatalf("first counter %q, want step 1 of 1+", counter)
			}
			var grew bool
			for i := 2; ; i++ {
				if err := chromedp.Do(page, chromedp.Click("#next")); err != nil {
					t.Fatal(err)
				}
				c, p := state()
				if c == "summary" {
					break
				}
				if want := fmt.Sprintf("step %d of %d", i, i); !strings.HasPrefix(c, want) {
					t.Fatalf("after Next: %q, want %q", c, want)
				}
				if p < parts {
					t.Fatalf("step %d: the diagram shrank from %d to %d parts", i, parts, p)
				}
				grew = grew || p > parts
				parts = p
				if i > 60 {
					t.Fatal("no summary after 60 steps")
				}
			}
			if !grew {
				t.Error("the diagram never grew")
			}
			if err := <-done; err != nil {
				t.Fatalf("walkthrough: %v", err)
			}
			summary, err := chromedp.Run(page, chromedp.Evaluate[string](`document.getElementById("lines").textContent`))
			if err != nil || !strings.Contains(summary, "REJECTED (INSUFFICIENT_CREDIT)") || !strings.Contains(summary, "every expected outcome was met") {
				t.Fatalf("summary %q (%v)", summary, err)
			}
			// Back looks at the last step again, with its arrows.
			if err := chromedp.Do(page, chromedp.KeyEvent(kb.ArrowLeft)); err != nil {
				t.Fatal(err)
			}
			if c, p := state(); !strings.HasPrefix(c, "step ") || p != parts {
				t.Fatalf("after Back: %q with %d parts, want the last step with %d", c, p, parts)
			}
			if dir := os.Getenv("SAGALAB_SCREENSHOT"); dir != "" {
				png, err := chromedp.Run(page, chromedp.CaptureScreenshot())
				if err == nil {
					err = os.WriteFile(filepath.Join(dir, "walkthrough-"+string(mode)+".png"), png, 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// nextStep clicks Next and returns the counter and the diagram's parts.
func nextStep(t *testing.T, page context.Context) (string, int) {
	t.Helper()
	if err := chromedp.Do(page, chromedp.Click("#next")); err != nil {
		t.Fatal(err)
	}
	return pageState(t, page)
}

// The monolith in the browser: one lane, each step's one transaction drawn
// as a box with its statements BEGIN to COMMIT, and the rows of store.db.
func TestWalkthroughMonolithInTheBrowser(t *testing.T) {
	page, done := walkPage(t, "monolith-acid", system.Config{DataDir: t.TempDir()})
	if c, _ := pageState(t, page); c != "step 1 of 1+" {
		t.Fatalf("first counter %q, want step 1 of 1+", c)
	}
	if c, _ := nextStep(t, page); c != "step 2 of 2+" {
		t.Fatalf("after Next: %q, want step 2 of 2+", c)
	}
	lanes := evaluate[string](t, page, `[...document.querySelectorAll("#diagram .lane-title")].map(e => e.textContent).join("|")`)
	if lanes != "Monolith (store.db)" {
		t.Errorf("lanes %q, want the one Monolith (store.db)", lanes)
	}
	box := evaluate[string](t, page, `[...document.querySelectorAll("#diagram .tx")].at(-1).textContent`)
	for _, want := range []string{"order o1: one ACID transaction", "BEGIN", "INSERT order o1 APPROVED", "COMMIT"} {
		if !strings.Contains(box, want) {
			t.Errorf("o1's transaction box %q does not say %q", box, want)
		}
	}
	rows := evaluate[string](t, page, `document.getElementById("rows").textContent`)
	for _, want := range []string{"store.db customers ~ changed: c1 John", "store.db orders + added: o1 APPROVED"} {
		if !strings.Contains(rows, want) {
			t.Errorf("rows changed %q do not say %q", rows, want)
		}
	}
	for i := 3; ; i++ {
		if c, _ := nextStep(t, page); c == "summary" {
			break
		}
		if i > 20 {
			t.Fatal("no summary after 20 steps")
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("walkthrough: %v", err)
	}
	if n := evaluate[int](t, page, `document.querySelectorAll("#diagram .tx").length`); n != 6 {
		t.Errorf("%d transaction boxes, want 6 (one per commit)", n)
	}
	if n := evaluate[int](t, page, `document.querySelectorAll("#diagram .msg").length`); n != 0 {
		t.Errorf("%d arrows, want none: the monolith sends no messages", n)
	}
}

// Two-phase commit in the browser: PREPARE, the votes and COMMIT drawn as
// arrows, the votes and acknowledgements to the coordinator in the Order
// service's lane.
func TestWalkthroughTwoPhaseCommitInTheBrowser(t *testing.T) {
	page, done := walkPage(t, "two-phase-commit", system.Config{DataDir: t.TempDir()})
	pageState(t, page)
	for i := 2; ; i++ {
		if c, _ := nextStep(t, page); c == "summary" {
			break
		}
		if i > 40 {
			t.Fatal("no summary after 40 steps")
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("walkthrough: %v", err)
	}
	if mode := evaluate[string](t, page, `document.getElementById("mode").textContent`); !strings.HasPrefix(mode, "two-phase commit ·") {
		t.Errorf("mode line %q, want two-phase commit", mode)
	}
	labels := evaluate[string](t, page, `[...document.querySelectorAll("#diagram .msg text")].map(e => e.textContent).join(" | ")`)
	for _, want := range []string{"PrepareCreateOrder (command) → order participant", "PrepareReserveCredit (command) 12.34",
		"VoteCommit → coordinator", "VoteAbort INSUFFICIENT_CREDIT → coordinator", "CommitTransaction (command)",
		"AbortTransaction (command)", "Ack → coordinator"} {
		if !strings.Contains(labels, want) {
			t.Errorf("the diagram's arrows do not show %q: %s", want, labels)
		}
	}
	// Every arrow starts and ends on a lane of the picture: none to the
	// coordinator runs off its left edge.
	off := evaluate[[]any](t, page, `[...document.querySelectorAll("#diagram .msg line")]
		.filter(l => l.x1.baseVal.value < 0 || l.x2.baseVal.value < 0)
		.map(l => l.parentNode.textContent)`)
	if len(off) > 0 {
		t.Errorf("arrows off the picture: %v", off)
	}
	boxes := evaluate[string](t, page, `[...document.querySelectorAll("#diagram .tx")].map(e => e.textContent).join(" | ")`)
	if !strings.Contains(boxes, "coordinator: customer votes COMMIT") {
		t.Errorf("no coordinator box recording the customer's vote: %s", boxes)
	}
	// The coordinator's first transaction (each order's) is one box that
	// lists the three messages it wrote.
	first := evaluate[[]any](t, page, `[...document.querySelectorAll("#diagram .tx title")]
		.map(e => e.textContent).filter(s => s.includes("stored PENDING"))`)
	if len(first) != 2 {
		t.Errorf("%d boxes store an order PENDING, want 2 (one per order): %v", len(first), first)
	}
	for _, b := range first {
		if !strings.Contains(b.(string), "emits OrderCreated, PrepareCreateOrder, PrepareReserveCredit") {
			t.Errorf("the box %q does not list what its transaction emitted", b)
		}
	}
}
