package system

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"sagalab/storage"
)

// A second writer on a served directory is refused at once, told who holds
// it; a reader beside the server works and sees its writes.
func TestDataDirectoryLock(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := start(t, Config{DataDir: dir})
	c := mustCustomer(t, s, "John", "15.00")
	id := final(t, s, mustOrder(t, s, c, "12.34", "")).ID

	_, err := Start(ctx, Config{DataDir: dir})
	var locked *storage.LockedError
	if !errors.As(err, &locked) || locked.Holder.PID != os.Getpid() {
		t.Fatalf("second Start = %v, want refused naming pid %d", err, os.Getpid())
	}
	if _, err := RebuildView(ctx, dir, nil); !errors.As(err, &locked) {
		t.Fatalf("offline rebuild beside a server = %v, want refused", err)
	}

	r, err := Start(ctx, Config{DataDir: dir, Inspect: true})
	if err != nil {
		t.Fatalf("inspect beside a server: %v", err)
	}
	defer r.Close()
	o, err := r.Orders.Order(ctx, id)
	if err != nil || o.State != "APPROVED" {
		t.Fatalf("order read beside the server = %+v, %v", o, err)
	}
	if _, err := r.SagaReport(ctx, id); err != nil {
		t.Fatalf("saga report beside the server: %v", err)
	}
	if _, err := r.ViewStatus(ctx); err != nil {
		t.Fatalf("view status beside the server: %v", err)
	}
	if _, err := r.RebuildView(ctx, nil); err == nil {
		t.Fatal("a read-only system rebuilt the view")
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = start(t, Config{DataDir: dir}) // the lock went with the first server
	if _, err := s.Orders.Order(ctx, id); err != nil {
		t.Fatal(err)
	}
}

// Looking at a directory that holds no sagalab data fails clearly and
// creates nothing.
func TestInspectCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	for _, d := range []string{dir, missing} {
		if _, err := Start(context.Background(), Config{DataDir: d, Inspect: true}); err == nil {
			t.Fatalf("inspect of %s succeeded", d)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("inspecting created %v", entries)
	}
}
