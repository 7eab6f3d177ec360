package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Redirected to a file, progress writes plain lines, at most one per
// tenth, and ends with the count reached; never a '\r'.
func TestProgressRedirected(t *testing.T) {
	for _, tc := range []struct {
		total, steps, each int
		last               string
	}{
		{total: 1000, steps: 1000, each: 1, last: "work 1000/1000 (100%)"},
		{total: 1000, steps: 3, each: 100, last: "work 300/1000 (30%)"}, // stopped early
		{total: 1000, steps: 25, each: 1, last: "work 25/1000 (2%)"},    // less than a tenth
		{total: 0, steps: 5, each: 7, last: "work 35"},                  // unknown total
		{total: 10, steps: 12, each: 1, last: "work 12/10 (120%)"},      // more than announced
	} {
		f, err := os.Create(filepath.Join(t.TempDir(), "out"))
		if err != nil {
			t.Fatal(err)
		}
		p := newProgress(f, "work", tc.total)
		for range tc.steps {
			p.add(tc.each)
		}
		p.finish()
		f.Close()
		data, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		out := string(data)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if strings.Contains(out, "\r") || len(lines) > 11 || lines[len(lines)-1] != tc.last {
			t.Errorf("total %d, %d×%d: wrote %q; want at most 11 plain lines ending with %q",
				tc.total, tc.steps, tc.each, out, tc.last)
		}
	}
}

// On a terminal, the bar is redrawn in place and blanks what a longer
// drawing left.
func TestProgressTerminal(t *testing.T) {
	var out bytes.Buffer
	p := &progress{out: &out, label: "work", total: 10, terminal: true, printed: -1}
	p.add(10)
	p.drawn = 80 // as if an earlier drawing were longer
	p.finish()
	draws := strings.Split(out.String(), "\r")
	if len(draws) != 3 || !strings.HasSuffix(out.String(), "\n") {
		t.Fatalf("wrote %q, want two drawings and a newline", out.String())
	}
	if got := len(strings.TrimSuffix(draws[2], "\n")); got != 80 {
		t.Errorf("the last drawing is %d wide, want it padded to the 80 of the one before", got)
	}
}
