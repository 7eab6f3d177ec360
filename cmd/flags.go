package cmd

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/system"
	"sagalab/storage"
)

// systemFlags are the flags of every command that starts sagalab.
type systemFlags struct {
	dataDir     string
	arch        string
	saga        string
	sagaTimeout time.Duration
	sync        string
	faults      string
	logLevel    string
	callLatency time.Duration
	retention   time.Duration
	snapshots   int
	// crash is set by the commands that can crash and restart sagalab on
	// purpose (--fault crash=N): demo and walkthrough.
	crash bool
	// broker is --broker: a NATS JetStream broker the modules talk
	// through, or "embedded" for one in this process (see broker.go).
	broker broker
}

func (f *systemFlags) register(cmd *cobra.Command, defaultData string) {
	fl := cmd.Flags()
	dataHelp := "directory of the module databases (order.db, customer.db)"
	if defaultData == "" {
		dataHelp += "; a fresh temporary one, removed at exit, when not given"
	}
	fl.StringVar(&f.dataDir, "data", defaultData, dataHelp)
	defaultSaga := os.Getenv("SAGALAB_SAGA")
	if defaultSaga == "" {
		defaultSaga = string(ordercontract.Choreography)
	}
	fl.StringVar(&f.arch, "arch", string(system.Microservices),
		"architecture: microservices (services on their own databases, sagas) or monolith (one database, "+
			"one ACID transaction per order)")
	fl.StringVar(&f.saga, "saga", defaultSaga, "saga mode of new orders: choreography or orchestration (env SAGALAB_SAGA)")
	fl.DurationVar(&f.sagaTimeout, "saga-timeout", system.DefaultSagaTimeout,
		"how long a saga waits for a participant before it compensates (order REJECTED/TIMEOUT)")
	fl.StringVar(&f.sync, "sync", "normal", "SQLite synchronous setting: normal (survives a crash) or full (also power loss)")
	faultHelp := `faults to inject, e.g. "duplicate=0.5,redeliver=0.2,delay=200ms,reorder=4,pause-customer=3s,fail-customer=1"`
	if f.crash {
		faultHelp = `faults to inject, e.g. "duplicate=0.5,redeliver=0.2,delay=200ms,reorder=4,pause-customer=3s,fail-customer=1,crash=1"`
	}
	fl.StringVar(&f.faults, "fault", "", faultHelp)
	fl.StringVar(&f.logLevel, "log-level", "warn", "log level on stderr: debug, info, warn or error")
	fl.IntVar(&f.snapshots, "snapshot-every", 100, "snapshot each event-sourced customer every N events (0: never)")
	fl.DurationVar(&f.retention, "retention", 0,
		"how long outboxes keep delivered messages, the event log views are rebuilt from (0: for ever)")
	if cmd.Name() != "serve" { // serve has its own, for one module
		fl.StringVar(&f.broker.url, "broker", "", `NATS JetStream broker the modules talk through: `+
			`nats://HOST:PORT, or "embedded" for one in this process (default: the in-process bus)`)
	}
	if cmd.Name() != "queries" { // bench queries has its own default
		fl.DurationVar(&f.callLatency, "call-latency", 0, "simulated latency of each call the API composer makes across a service boundary")
	}
}

// config turns the flags into a system configuration.
func (f *systemFlags) config() (system.Config, error) {
	mode, err := ordercontract.ParseSagaMode(f.saga)
	if err != nil {
		return system.Config{}, fmt.Errorf("--saga: %w", err)
	}
	arch, err := system.ParseArchitecture(f.arch)
	if err != nil {
		return system.Config{}, fmt.Errorf("--arch: %w", err)
	}
	sync, err := storage.ParseSynchronous(f.sync)
	if err != nil {
		return system.Config{}, fmt.Errorf("--sync: %w", err)
	}
	if f.snapshots < 0 {
		return system.Config{}, fmt.Errorf("--snapshot-every must be 0 (never) or more")
	}
	if f.sagaTimeout <= 0 {
		return system.Config{}, fmt.Errorf("--saga-timeout must be positive")
	}
	faults, err := system.ParseFaults(f.faults)
	if err != nil {
		return system.Config{}, fmt.Errorf("--fault: %w", err)
	}
	if arch == system.Monolith && (faults.Any() || len(faults.Pauses) > 0) {
		return system.Config{}, fmt.Errorf("--fault %s: the monolith has no bus or modules to break "+
			"(crash=N is the fault that applies to it)", f.faults)
	}
	if faults.CrashAfterOrder > 0 && !f.crash {
		return system.Config{}, fmt.Errorf("--fault crash=%d: only demo and walkthrough can crash and restart sagalab",
			faults.CrashAfterOrder)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return system.Config{}, fmt.Errorf("--log-level: %w", err)
	}
	if err := f.broker.check(arch); err != nil {
		return system.Config{}, err
	}
	return system.Config{
		Transport:    f.broker.transport(),
		DataDir:      f.dataDir,
		Architecture: arch,
		SagaMode:     mode,
		SagaTimeout:  f.sagaTimeout,
		Synchronous:  sync,
		Faults:       faults,
		CallLatency:  f.callLatency,
		Retention:    f.retention,
		SnapshotEvery: func() int {
			if f.snapshots == 0 {
				return -1
			}
			return f.snapshots
		}(),
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	}, nil
}

// withTempDir runs fn with cfg.DataDir set, creating a temporary directory
// (removed afterwards) when none was given.
func withTempDir(cfg system.Config, fn func(system.Config, bool) error) error {
	if cfg.DataDir != "" {
		return fn(cfg, false)
	}
	dir, err := os.MkdirTemp("", "sagalab-")
	if err != nil {
		return fmt.Errorf("create a temporary data directory: %w", err)
	}
	defer os.RemoveAll(dir)
	cfg.DataDir = dir
	return fn(cfg, true)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, strings.TrimSuffix(word, "s"))
}
