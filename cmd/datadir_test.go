package cmd

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"sagalab/modules/shared/money"
	"sagalab/modules/system"
)

// run runs the command line args and returns its output and error.
func run(args ...string) (stdout, stderr string, err error) {
	root := newRoot(os.DirFS("../testdata"))
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err = root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// Beside a running server, the commands that only read work, and the ones
// that write are refused with the holder named; a rebuild is pointed at
// --addr, which rebuilds the server's view.
func TestCommandsBesideARunningServer(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sys, err := system.Start(ctx, system.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	c, err := sys.Customers.Create(ctx, "John", money.Money(1500))
	if err != nil {
		t.Fatal(err)
	}
	o, err := sys.Orders.Create(ctx, c, money.Money(1234), "")
	if err != nil {
		t.Fatal(err)
	}

	for _, args := range [][]string{
		{"saga", "list", "--data", dir},
		{"saga", "show", o.ID, "--data", dir},
		{"trace", o.ID, "--data", dir},
		{"events", "customer", c, "--data", dir},
		{"customer", "show", c, "--data", dir},
		{"view", "status", "--data", dir},
		{"query", "valuable-customers", "--via", "view", "--data", dir},
	} {
		if _, stderr, err := run(args...); err != nil {
			t.Errorf("%s beside a running server: %v\n%s", strings.Join(args, " "), err, stderr)
		}
	}

	_, _, err = run("view", "rebuild", "--data", dir)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("in use by pid %d", os.Getpid())) ||
		!strings.Contains(err.Error(), "view rebuild --addr") {
		t.Fatalf("view rebuild --data beside a server = %v, want refused, naming the holder and suggesting --addr", err)
	}
	_, _, err = run("demo", "happy-path", "--data", dir)
	if err == nil || !strings.Contains(err.Error(), "in use by pid") {
		t.Fatalf("demo --data beside a server = %v, want refused naming the holder", err)
	}

	srv := httptest.NewServer(sys.Handler())
	defer srv.Close()
	stdout, _, err := run("view", "rebuild", "--addr", srv.URL)
	if err != nil || !strings.Contains(stdout, "rebuilt the view of "+srv.URL) {
		t.Fatalf("view rebuild --addr = %q, %v", stdout, err)
	}

	if err := sys.Close(); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := run("view", "rebuild", "--data", dir)
	if err != nil || !strings.Contains(stdout, "rebuilt "+dir+"/history.db") {
		t.Fatalf("view rebuild --data on a free directory = %q, %v", stdout, err)
	}
	if strings.Contains(stderr, "\r") || !strings.Contains(stderr, "rebuilding the view") {
		t.Fatalf("progress written to a file: %q, want plain lines", stderr)
	}
}
