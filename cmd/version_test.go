package cmd

import (
	"bytes"
	"os"
	"runtime/debug"
	"strings"
	"testing"
)

// runAll runs the command line args and returns its output (stdout and
// stderr together) and error.
func runAll(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot(os.DirFS("../testdata"))
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestVersionFlag(t *testing.T) {
	out, err := runAll(t, "--version")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "sagalab "+version) || strings.Count(out, "\n") != 1 {
		t.Errorf("--version printed %q, want one line starting %q", out, "sagalab "+version)
	}
}

func TestBuildDetails(t *testing.T) {
	for _, tc := range []struct {
		settings []debug.BuildSetting
		want     string
	}{
		{nil, ""},
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-05-01T10:00:00Z"},
			{Key: "vcs.modified", Value: "false"}}, " (rev 0123456789ab, 2026-05-01T10:00:00Z)"},
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}, " (rev abc, modified)"},
	} {
		if got := buildDetails(tc.settings); got != tc.want {
			t.Errorf("buildDetails(%v) = %q, want %q", tc.settings, got, tc.want)
		}
	}
}
