package cmd

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a buffer a command writes while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serve says at start where it serves and with which settings.
func TestServePrintsSettings(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	root := newRoot(os.DirFS("../testdata"))
	var out syncBuffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs([]string{"serve", "--addr", "127.0.0.1:0", "--data", dir, "--saga", "orchestration",
		"--saga-timeout", "7s", "--sync", "full", "--snapshot-every", "50", "--retention", "1h",
		"--fault", "duplicate=0.5,pause-customer=2s"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "faults") {
		if time.Now().After(deadline) {
			t.Fatalf("serve printed no settings in 10s:\n%s", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"serving on http://127.0.0.1:",
		"data       " + dir + " (SQLite synchronous=FULL)",
		"sagas      orchestration by default, timeout 7s",
		"snapshots  every 50 events of a customer",
		"retention  delivered messages kept for 1h0m0s",
		"faults     duplicate=0.5,pause-customer=2s",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve's settings do not say %q:\n%s", want, out.String())
		}
	}
	checkWidth(t, "serve", out.String())
}

// A fault a command cannot inject is refused before anything starts.
func TestCrashFaultOnlyWhereItWorks(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--addr", "127.0.0.1:0"},
		{"bench", "sagas", "--sagas", "1"},
	} {
		dir := t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		root := newRoot(os.DirFS("../testdata"))
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(append(args, "--data", dir, "--fault", "crash=1"))
		err := root.ExecuteContext(ctx)
		cancel()
		if err == nil || !strings.Contains(err.Error(), "--fault crash=1: only demo and walkthrough") {
			t.Errorf("sagalab %s --fault crash=1: %v, want it refused", strings.Join(args, " "), err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			t.Errorf("sagalab %s --fault crash=1 wrote %d files before refusing", strings.Join(args, " "), len(entries))
		}
	}
	if out, err := runAll(t, "demo", "crash-after-commit", "--fault", "crash=1"); err != nil {
		t.Errorf("demo --fault crash=1: %v\n%s", err, out)
	}
}
