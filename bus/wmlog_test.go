package bus

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
)

// Watermill's lines reach the logger at their mapped level, with their
// fields, and only when the logger takes that level.
func TestWatermillLogger(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	wl := watermillLogger(logger, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug}).
		With(watermill.LogFields{"handler": "h"})

	wl.Trace("trace line", watermill.LogFields{"k": 1})
	wl.Info("info line", watermill.LogFields{"k": 2})
	wl.Error("error line", nil, watermill.LogFields{"k": 3})
	out := buf.String()
	if strings.Contains(out, "trace line") {
		t.Errorf("a trace line got through a debug logger:\n%s", out)
	}
	for _, want := range []string{`level=DEBUG msg="info line" handler=h k=2`, `level=ERROR msg="error line" handler=h k=3`} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}

	buf.Reset()
	quiet := watermillLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})),
		map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
	quiet.Info("start-up chatter", nil)
	quiet.Debug("debug line", nil)
	if buf.Len() != 0 {
		t.Errorf("an info logger wrote lines mapped below info:\n%s", buf.String())
	}
}
