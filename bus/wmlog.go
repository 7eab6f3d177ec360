package bus

import (
	"context"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill"
)

// watermillLogger adapts logger for Watermill, with Watermill's levels
// mapped by levels. Unlike Watermill's own slog adapter, it drops a line
// whose level logger does not enable before turning its fields into
// attributes: the router logs every message at trace level, and building those attributes cost a few per cent of a saga's CPU.
func watermillLogger(logger *slog.Logger, levels map[slog.Level]slog.Level) watermill.LoggerAdapter {
	return leveledLogger{next: watermill.NewSlogLoggerWithLevelMapping(logger, levels), log: logger, levels: levels}
}

// leveledLogger is watermillLogger's adapter.
type leveledLogger struct {
	next   watermill.LoggerAdapter
	log    *slog.Logger
	levels map[slog.Level]slog.Level
}

func (l leveledLogger) enabled(level slog.Level) bool {
	if mapped, ok := l.levels[level]; ok {
		level = mapped
	}
	return l.log.Enabled(context.Background(), level)
}

func (l leveledLogger) Error(msg string, err error, fields watermill.LogFields) {
	if l.enabled(slog.LevelError) {
		l.next.Error(msg, err, fields)
	}
}

func (l leveledLogger) Info(msg string, fields watermill.LogFields) {
	if l.enabled(slog.LevelInfo) {
		l.next.Info(msg, fields)
	}
}

func (l leveledLogger) Debug(msg string, fields watermill.LogFields) {
	if l.enabled(slog.LevelDebug) {
		l.next.Debug(msg, fields)
	}
}

func (l leveledLogger) Trace(msg string, fields watermill.LogFields) {
	if l.enabled(watermill.LevelTrace) {
		l.next.Trace(msg, fields)
	}
}

// With returns the logger with fields added to every line; the level check
// does not depend on them.
func (l leveledLogger) With(fields watermill.LogFields) watermill.LoggerAdapter {
	return leveledLogger{next: l.next.With(fields), log: l.log, levels: l.levels}
}
