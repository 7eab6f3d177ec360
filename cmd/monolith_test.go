package cmd

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The monolith end to end through the commands: a demo leaves store.db
// behind, the slides' query is one join on it, and bench measures it with
// one commit per order.
func TestMonolithCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	out, err := runAll(t, "demo", "happy-path", "--arch", "monolith", "--data", dir)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"monolith (one database, no saga)", "┌ SELECT customer", "└ COMMIT (store.db)",
		"2 local transactions, one commit each; no messages", "all 2 expectations met"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	out, err = runAll(t, "query", "valuable-customers", "--via", "monolith", "--data", dir, "--min-total", "10")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "John                 1 orders, 12.34 in all") ||
		!strings.Contains(out, "monolith          1 rows · 1 round trip · 1 rows moved") {
		t.Errorf("query --via monolith:\n%s", out)
	}
	out, err = runAll(t, "bench", "sagas", "--arch", "monolith", "--sagas", "200", "--clients", "8")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !regexp.MustCompile(`(?m)^monolith +\d+ +1\.00× .+ +1\.00 +1\.00 +3\.0 +0\.00 +\d+µs$`).MatchString(out) {
		t.Errorf("bench sagas --arch monolith:\n%s", out)
	}
	for _, bad := range [][]string{
		{"demo", "customer-down", "--arch", "monolith"},
		{"walkthrough", "duplicate-delivery", "--arch", "monolith"},
		{"serve", "--arch", "mainframe"},
		{"demo", "happy-path", "--arch", "monolith", "--fault", "duplicate=1"},
		{"walkthrough", "monolith-acid", "--data", dir}, // holds store.db: ids would collide
	} {
		if out, err := runAll(t, bad...); err == nil {
			t.Errorf("%s: no error\n%s", strings.Join(bad, " "), out)
		}
	}
}
