package cmd

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"sagalab/modules/shared/money"
	"sagalab/modules/system"
)

// --at-version means what ?atVersion means over HTTP: versions start at 1,
// so 0 is refused; without the flag the customer is shown as it is now.
func TestCustomerShowAtVersion(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	sys, err := system.Start(ctx, system.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	id, err := sys.Customers.Create(ctx, "John", money.Money(1500))
	if err != nil {
		t.Fatal(err)
	}
	if err := sys.Close(); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		root := newRoot(os.DirFS("../testdata"))
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(append([]string{"customer", "show", id, "--data", dir}, args...))
		err := root.ExecuteContext(ctx)
		return out.String(), err
	}
	if out, err := run(); err != nil || !strings.Contains(out, "as of version 1") {
		t.Errorf("customer show = %q, %v; want the customer at version 1", out, err)
	}
	if out, err := run("--at-version", "1"); err != nil || !strings.Contains(out, "as of version 1") {
		t.Errorf("customer show --at-version 1 = %q, %v; want the customer at version 1", out, err)
	}
	for _, bad := range []string{"0", "-1"} {
		if _, err := run("--at-version", bad); err == nil || !strings.Contains(err.Error(), "versions start at 1") {
			t.Errorf("customer show --at-version %s: %v, want it refused as over HTTP", bad, err)
		}
	}
}
