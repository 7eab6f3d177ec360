package cmd

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"sagalab/cmd/internal/scenario"
	"sagalab/cmd/internal/web"
	"sagalab/modules/system"
)

// browserPath finds a Chromium, or skips (fails with SAGALAB_BROWSER_TEST=1).
func browserPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	const msg = "no Chromium found: the browser test needs one (apt-get install -y chromium)"
	if os.Getenv("SAGALAB_BROWSER_TEST") == "1" {
		t.Fatal(msg + "; SAGALAB_BROWSER_TEST=1 requires it")
	}
	t.Skip(msg + "; skipped (SAGALAB_BROWSER_TEST=1 makes this a failure)")
	return ""
}

// The walkthrough in the browser: Next takes the scenario's steps one by one
// and the diagram grows; Back shows an earlier step again; the last Next
// shows the summary. In both saga modes.
func TestWalkthroughInTheBrowser(t *testing.T) {
	exe := browserPath(t)
	var sc *scenario.Scenario
	for _, s := range scenarios(t) {
		if s.Name == "insufficient-credit" {
			sc = s
		}
	}
	if sc == nil {
		t.Fatal("no insufficient-credit scenario")
	}
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			cfg, err := sc.Configure(system.Config{DataDir: t.TempDir(), SagaMode: mode})
			if err != nil {
				t.Fatal(err)
			}
			walk := web.NewWalk(walkInfo(sc, cfg))
			mux := http.NewServeMux()
			walk.Routes(mux)
			srv := httptest.NewServer(mux)
			defer srv.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- walkthrough(ctx, io.Discard, sc, cfg, walkOptions{seed: 1, web: walk}) }()

			opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
				chromedp.Flag("disable-dev-shm-usage", true))
			alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
			defer cancelAlloc()
			browser, cancelBrowser := chromedp.NewContext(alloc)
			defer cancelBrowser()
			page, cancelPage := context.WithTimeout(browser, 40*time.Second)
			defer cancelPage()
			defer func() {
				if !t.Failed() {
					return
				}
				shot, cancel := context.WithTimeout(browser, 5*time.Second)
				defer cancel()
				if png, err := chromedp.Run(shot, chromedp.CaptureScreenshot()); err == nil {
					path := filepath.Join(os.TempDir(), "sagalab-walkthrough-"+string(mode)+".png")
					if os.WriteFile(path, png, 0o644) == nil {
						t.Logf("screenshot of the page: %s", path)
					}
				}
			}()
			if err := chromedp.Do(page, chromedp.EmulateViewport(1280, 720), chromedp.Navigate(srv.URL+"/"),
				chromedp.WaitVisible("#explain")); err != nil {
				t.Fatal(err)
			}
			// state reads the step counter and how many arrows and boxes the diagram has.
			state := func() (string, int) {
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
