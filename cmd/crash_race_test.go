//go:build race

package cmd_test

// raceEnabled: the test runs with the race detector, and so does the
// sagalab it builds.
const raceEnabled = true
