package cmd

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every command that takes an id takes what the demo and the walkthrough
// print: names (o1, john), short ids and any unique prefix.
func TestIDsAsPrinted(t *testing.T) {
	demo := filepath.Join(t.TempDir(), "demo")
	out, err := runAll(t, "demo", "classroom", "--saga", "orchestration", "--data", demo)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	// The final state prints "o1    APPROVED … id 1a2b3c4d".
	short := regexp.MustCompile(`(?m)^    o1 .* id ([0-9a-f]{8})$`).FindStringSubmatch(out)
	if short == nil {
		t.Fatalf("the demo printed no short id for o1:\n%s", out)
	}
	// The shortest prefix of o1's id that no other printed id shares.
	unique := 1
	for _, id := range regexp.MustCompile(`(?m) id ([0-9a-f]{8})$`).FindAllStringSubmatch(out, -1) {
		n := 0
		for n < 8 && id[1][n] == short[1][n] {
			n++
		}
		if n < 8 {
			unique = max(unique, n+1)
		}
	}
	walk := filepath.Join(t.TempDir(), "walk")
	if out, err := runAll(t, "walkthrough", "happy-path", "--data", walk); err != nil {
		t.Fatalf("walkthrough: %v\n%s", err, out)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"trace", "o1", "--data", demo}, "now CANCELLED"},
		{[]string{"trace", short[1], "--data", demo}, "now CANCELLED"},
		{[]string{"trace", short[1][:unique], "--data", demo}, "now CANCELLED"},
		{[]string{"saga", "show", "o2", "--data", demo}, "INSUFFICIENT_CREDIT"},
		{[]string{"saga", "show", short[1], "--data", demo}, "now CANCELLED"},
		{[]string{"customer", "show", "john", "--data", demo}, "(John)"},
		{[]string{"events", "customer", "john", "--data", demo}, "CustomerCreated"},
		{[]string{"order", "list", "--customer", "john", "--data", demo}, "3 orders"},
		{[]string{"trace", "o1", "--data", walk}, "order o1"},
		{[]string{"saga", "show", "o1", "--data", walk}, "order o1: total 12.34, now APPROVED\ncustomer: c1"},
		{[]string{"customer", "show", "c1", "--data", walk}, "customer c1 (John)"},
		{[]string{"customer", "show", "john", "--data", walk}, "customer c1 (John)"},
		{[]string{"events", "customer", "c", "--data", walk}, "stream c1: 2 events"},
	} {
		out, err := runAll(t, tc.args...)
		if err != nil || !strings.Contains(out, tc.want) {
			t.Errorf("sagalab %s: %v, output does not say %q:\n%s", strings.Join(tc.args, " "), err, tc.want, out)
		}
	}

	// A second demo on the same directory: o1 now names two orders.
	if out, err := runAll(t, "demo", "happy-path", "--data", demo); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"trace", "o1", "--data", demo}, []string{`"o1" names more than one order`, "o1 of classroom", "o1 of happy-path"}},
		{[]string{"customer", "show", "john", "--data", demo}, []string{`"john" names more than one customer`}},
		{[]string{"saga", "show", "o9", "--data", demo}, []string{`no order "o9" in ` + demo, "sagalab order list"}},
		{[]string{"events", "customer", "nobody", "--data", demo}, []string{`no customer "nobody" in ` + demo}},
	} {
		_, err := runAll(t, tc.args...)
		if err == nil {
			t.Errorf("sagalab %s succeeded, want an error", strings.Join(tc.args, " "))
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("sagalab %s: error %q does not say %q", strings.Join(tc.args, " "), err, w)
			}
		}
	}
}

// A walkthrough on a directory that holds data already is refused before
// it changes anything, saying why.
func TestWalkthroughRefusesUsedDir(t *testing.T) {
	dir := t.TempDir()
	if out, err := runAll(t, "walkthrough", "happy-path", "--data", dir); err != nil {
		t.Fatalf("first walkthrough: %v\n%s", err, out)
	}
	out, err := runAll(t, "walkthrough", "happy-path", "--data", dir)
	if err == nil || !strings.Contains(err.Error(), "already holds sagalab data") {
		t.Fatalf("second walkthrough: %v, want a refusal\n%s", err, out)
	}
	if out != "" {
		t.Errorf("the refused walkthrough printed %q", out)
	}
}
