package cmd

import (
	"runtime/debug"
	"strings"
)

// version is sagalab's release.
const version = "0.2.0"

// versionString is the release followed, when the binary was built from a
// version-controlled checkout, by the revision, its time and whether the
// work tree had changes: "0.2.0 (rev 1a2b3c4d5e6f, 2026-05-01T10:00:00Z, modified)".
func versionString() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version
	}
	return version + buildDetails(info.Settings)
}

// buildDetails describes the VCS settings of a build, or says nothing
// when there are none (go run, go test, a build outside a checkout).
func buildDetails(settings []debug.BuildSetting) string {
	var rev, at string
	var modified bool
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return ""
	}
	parts := []string{"rev " + rev[:min(len(rev), 12)]}
	if at != "" {
		parts = append(parts, at)
	}
	if modified {
		parts = append(parts, "modified")
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
