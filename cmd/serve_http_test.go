package cmd

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"sagalab/modules/system"
)

// serve's handler: the REST API, the page, /metrics and /openapi.json on
// one address, each request logged, each handled message printed.
func TestServeHandler(t *testing.T) {
	cfg := system.Config{DataDir: t.TempDir()}
	serving := newServing(cfg)
	var requests, messages lockedBuffer
	cfg.Observer = serving.observer(&messages)
	sys, err := system.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	srv := httptest.NewServer(serving.handler(sys, slog.New(slog.NewTextHandler(&requests, nil)), nil))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/customers", "application/json", strings.NewReader(`{"name":"Ann","creditLimit":{"amount":"5.00"}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for path, want := range map[string]string{
		"/":             "<title>sagalab",
		"/metrics":      "sagalab_http_requests_total{code=\"201\",route=\"POST /customers\"} 1",
		"/openapi.json": `"openapi": "3.1.0"`,
		"/readyz":       `"ready"`,
		"/nowhere":      `"error"`,
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), want) {
			t.Errorf("GET %s = %d, want %q in %.300s", path, resp.StatusCode, want, b)
		}
	}
	// A request's line is written once its answer is out: poll.
	for _, want := range []string{`route="POST /customers" path=/customers status=201`, `route="GET /metrics"`,
		`route=unmatched path=/nowhere status=404`} {
		waitContains(t, "the request log", &requests, want)
	}
	waitContains(t, "--log-messages", &messages, "customer → history   event CustomerCreated")
}

func waitContains(t *testing.T, what string, b *lockedBuffer, want string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(b.String(), want); {
		if time.Now().After(deadline) {
			t.Fatalf("%s lacks %q:\n%s", what, want, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lockedBuffer is a bytes.Buffer the bus may write while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
