package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"sagalab/modules/system"
)

// remoteDeadLetters reaches the dead letters of a running sagalab over its
// HTTP API: the way to act on a data directory that a server holds.
type remoteDeadLetters struct {
	base   string
	client *http.Client
}

// newRemoteDeadLetters checks addr (host:port or an http:// URL).
func newRemoteDeadLetters(addr string) (*remoteDeadLetters, error) {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--addr %q: want the address sagalab serves on, such as 127.0.0.1:8080", addr)
	}
	return &remoteDeadLetters{base: strings.TrimSuffix(u.String(), "/"), client: &http.Client{Timeout: 30 * time.Second}}, nil
}

func (r *remoteDeadLetters) list(ctx context.Context) ([]system.DeadLetterJSON, error) {
	var out system.DeadLettersJSON
	err := r.call(ctx, http.MethodGet, "/dead-letters", &out)
	return out.DeadLetters, err
}

func (r *remoteDeadLetters) retry(ctx context.Context, consumer, id string) error {
	return r.call(ctx, http.MethodPost, "/dead-letters/"+url.PathEscape(consumer)+"/"+url.PathEscape(id)+"/retry", nil)
}

func (r *remoteDeadLetters) drop(ctx context.Context, consumer, id string) error {
	return r.call(ctx, http.MethodDelete, "/dead-letters/"+url.PathEscape(consumer)+"/"+url.PathEscape(id), nil)
}

func (r *remoteDeadLetters) close() error { return nil }

// call sends a request without a body and decodes a 200 answer into out
// (when not nil); an error answer becomes an error with its message.
func (r *remoteDeadLetters) call(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, nil)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("reach sagalab at %s: %w", r.base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s", e.Error)
		}
		return fmt.Errorf("%s %s: %s answered %s, not sagalab's JSON: is it sagalab serve?", method, path, r.base, resp.Status)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not what sagalab sends (is %s a sagalab server?): %w",
			method, path, r.base, err)
	}
	return nil
}
