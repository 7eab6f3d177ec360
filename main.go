// Command sagalab runs a small online store as in-process microservices and
// shows event-driven data management at work: sagas, API composition, CQRS.
package main

import (
	"embed"
	"io/fs"
	"os"

	"sagalab/cmd"
)

// scenarios are the built-in scenario files, shared with go test.
//
//go:embed testdata/scenarios/*.json
var scenarios embed.FS

func main() {
	sub, err := fs.Sub(scenarios, "testdata")
	if err != nil {
		panic(err)
	}
	os.Exit(cmd.Execute(sub))
}
