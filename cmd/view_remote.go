package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// rebuildOnline asks the server at addr to rebuild its view (POST
// /views/rebuild) and reports what it did.
func rebuildOnline(cmd *cobra.Command, addr string) error {
	base := strings.TrimRight(addr, "/")
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("--addr %q: want the server's host:port or http:// URL (e.g. 127.0.0.1:8080)", addr)
	}
	req, err := http.NewRequestWithContext(cmd.Context(), http.MethodPost, base+"/views/rebuild", nil)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", addr, err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "asking %s to rebuild its view (queries go on meanwhile)\n", base)
	started := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("rebuild the view at %s: %w", base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("rebuild the view at %s: read the answer: %w", base, err)
	}
	var answer struct {
		Error     string           `json:"error"`
		Events    int              `json:"events"`
		Positions map[string]int64 `json:"positions"`
		TookMs    int64            `json:"tookMs"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		text := strings.TrimSpace(string(body))
		if len(text) > 200 {
			text = text[:200] + "…"
		}
		return fmt.Errorf("rebuild the view at %s: it answered %s %q, not sagalab's JSON: is it sagalab serve?",
			base, resp.Status, text)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("rebuild the view at %s: %s: %s", base, resp.Status, answer.Error)
	}
	var at []string
	for topic, n := range answer.Positions {
		at = append(at, fmt.Sprintf("%s:%d", topic, n))
	}
	slices.Sort(at)
	took := time.Duration(answer.TookMs) * time.Millisecond
	fmt.Fprintf(cmd.OutOrStdout(), "rebuilt the view of %s from %d events in %s (round trip %s)\n",
		base, answer.Events, took, time.Since(started).Round(time.Millisecond))
	fmt.Fprintf(cmd.OutOrStdout(), "its consumers resumed at %s\n", strings.Join(at, ", "))
	return nil
}
