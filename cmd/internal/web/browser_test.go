package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sagalab/cmd/internal/browsertest"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/system"
)

// page opens the classroom page of a fresh system in headless Chromium, at
// a projector's 1280×720. On failure it saves a screenshot.
func openPage(t *testing.T, mode ordercontract.SagaMode) (context.Context, *httptest.Server) {
	exe := browsertest.Path(t)
	b := NewBroadcaster()
	sys, err := system.Start(context.Background(), system.Config{DataDir: t.TempDir(), SagaMode: mode, Observer: b})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close() })
	mux := http.NewServeMux()
	Routes(mux, sys, b, nil)
	mux.Handle("/", sys.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	return browsertest.Open(t, exe, srv.URL+"/", "#live.on", 30*time.Second), srv
}

// waitFor polls the page until the JavaScript expression js is true.
func waitFor(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 15s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// arrows is the text of the selected order's diagram arrows.
const arrows = `[...document.querySelectorAll("#diagram .msg text")].map(e => e.textContent).join(" | ")`

// Through the page's forms: a customer, an order that is approved and one
// that is rejected, each with the arrows of its saga mode in its diagram.
func TestBrowserPlacesOrders(t *testing.T) {
	for _, mode := range []ordercontract.SagaMode{ordercontract.Choreography, ordercontract.Orchestration} {
		t.Run(string(mode), func(t *testing.T) {
			ctx, _ := openPage(t, mode)
			err := chromedp.Do(ctx,
				chromedp.SetValue("#customer-name", "Ann"), chromedp.SetValue("#customer-limit", "15.00"),
				chromedp.Click("#customer-form button"),
				chromedp.WaitReady("#order-customer option"),
				chromedp.SetValue("#order-total", "10.00"),
				chromedp.Click(fmt.Sprintf(`input[name=mode][value=%s]`, mode)),
				chromedp.Click("#order-form button"))
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, ctx, "the order is approved on the page", `document.querySelector(".order[aria-pressed=true] .state.APPROVED") !== null`)
			want := []string{"OrderCreated", "CustomerCreditReserved", "OrderApproved"}
			if mode == ordercontract.Orchestration {
				want = []string{"ReserveCredit (command)", "CustomerCreditReserved (reply)", "OrderApproved"}
			}
			waitFor(t, ctx, "the diagram shows "+strings.Join(want, ", "), fmt.Sprintf(
				`(t => %q.split(",").every(w => t.includes(w)))(%s)`, strings.Join(want, ","), arrows))

			// A second order exceeds the credit left: rejected, compensation marked.
			if err := chromedp.Do(ctx, chromedp.Click("#order-form button")); err != nil {
				t.Fatal(err)
			}
			waitFor(t, ctx, "the second order is rejected on the page", `document.querySelector(".order[aria-pressed=true] .state.REJECTED") !== null`)
			waitFor(t, ctx, "the diagram marks the rejection as a compensation", `(`+arrows+`).includes("⟲ OrderRejected")`)
			// Key 2: the Order service's rows; key 3: the view and the composition agree.
			if err := chromedp.Do(ctx, chromedp.KeyEvent("2")); err != nil {
				t.Fatal(err)
			}
			waitFor(t, ctx, "the rows tab shows both orders", `[...document.querySelectorAll("#rows caption")].some(c => c.textContent === "order.db orders · 2 rows")`)
			if err := chromedp.Do(ctx, chromedp.KeyEvent("3")); err != nil {
				t.Fatal(err)
			}
			waitFor(t, ctx, "the view and the composition both list the two orders",
				`document.querySelectorAll("#view li").length === 2 && document.querySelectorAll("#composed li").length === 2`)
			if err := chromedp.Do(ctx, chromedp.KeyEvent("1")); err != nil {
				t.Fatal(err)
			}
			if dir := os.Getenv("SAGALAB_SCREENSHOT"); dir != "" {
				png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
				if err == nil {
					err = os.WriteFile(filepath.Join(dir, "page-"+string(mode)+".png"), png, 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
