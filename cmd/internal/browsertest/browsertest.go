// Package browsertest opens sagalab's pages in headless Chromium for the
// browser tests. Only tests import it.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path finds Chromium. Without one it skips the test, unless
// SAGALAB_BROWSER_TEST=1 (as .ci/run sets), where it fails it.
func Path(t testing.TB) string {
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

// Open opens url in the Chromium at exe, headless, at a projector's
// 1280×720, and waits until the element selector names is visible. The
// page's context ends after timeout or with the test; if the test failed,
// a screenshot of the page is saved and its path logged.
func Open(t testing.TB, exe, url, selector string, timeout time.Duration) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 720), chromedp.Flag("disable-dev-shm-usage", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	page, cancelPage := context.WithTimeout(browser, timeout)
	t.Cleanup(func() {
		if t.Failed() {
			shot, cancel := context.WithTimeout(browser, 5*time.Second)
			if png, err := chromedp.Run(shot, chromedp.CaptureScreenshot()); err == nil {
				path := filepath.Join(os.TempDir(), "sagalab-"+strings.ReplaceAll(t.Name(), "/", "-")+".png")
				if os.WriteFile(path, png, 0o644) == nil {
					t.Logf("screenshot of the page: %s", path)
				}
			}
			cancel()
		}
		cancelPage()
		cancelBrowser()
		cancelAlloc()
	})
	if err := chromedp.Do(page, chromedp.EmulateViewport(1280, 720), chromedp.Navigate(url),
		chromedp.WaitVisible(selector)); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	return page
}
