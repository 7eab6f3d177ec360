// Command sagalab runs a small online store as in-process microservices and
// shows event-driven data management at work: sagas, API composition, CQRS.
package main

import (
	"embed"
	"io/fs"
	"os"
	"runtime/debug"

	"sagalab/cmd"
)

// scenarios are the built-in scenario files, shared with go test.
//
//go:embed testdata/scenarios/*.json
var scenarios embed.FS

func main() {
	tuneGC()
	sub, err := fs.Sub(scenarios, "testdata")
	if err != nil {
		panic(err)
	}
	os.Exit(cmd.Execute(sub))
}

// tuneGC trades memory for CPU unless the environment says otherwise: a
// saga allocates many short-lived objects (messages, rows, goroutines), and
// collecting at five times the live heap instead of twice costs 5-10% less
// CPU per saga (bench sagas). The soft limit keeps the process under 150 MB
// all the same (SQLite's page caches, outside Go's heap, hold much of it). It
// counts stacks and freed memory not yet returned as well as the heap: at 64
// MiB it left the heap too little room, and some runs spent twice the CPU
// collecting; 80 MiB measured 127-132 MB peak.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(80 << 20)
	}
}
