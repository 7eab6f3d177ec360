package cmd

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// bench sagas measures both saga modes and the monolith in one run, and
// says per saga what each database committed.
func TestBenchSagasBoth(t *testing.T) {
	out, err := runAll(t, "bench", "sagas", "--both", "--sagas", "60", "--clients", "4", "--customers", "5")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{
		`(?m)^monolith +\d+ +1\.00× +[\d.]+ms +[\d.]+ms +[\d.]+ms +1\.00 +1\.00 +3\.0 +0\.00 +\d+µs$`,
		`(?m)^choreography +\d+ +[\d.]+× +[\d.]+ms .+$`,
		`(?m)^orchestration +\d+ +[\d.]+× +[\d.]+ms .+$`,
		`(?m)^choreography +customer [\d.]+ / [\d.]+ / [\d.]+, history [\d.]+ / [\d.]+ / [\d.]+, order [\d.]+ / [\d.]+ / [\d.]+$`,
		`(?m)^monolith +store \d+%$`,
		`(?m)^orchestration +customer \d+%, history \d+%, order \d+%$`,
		`(?m)^monolith <?[\d.]+ (µs|ms) / <?[\d.]+ (µs|ms), choreography <?[\d.]+ (µs|ms) / <?[\d.]+ (µs|ms), ` +
			`orchestration <?[\d.]+ (µs|ms) / <?[\d.]+ (µs|ms)$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if len([]rune(line)) > 100 {
			t.Errorf("line over 100 columns: %q", line)
		}
	}
}

// --json gives tools every figure; --rate places orders open loop.
func TestBenchSagasJSONRate(t *testing.T) {
	out, err := runAll(t, "bench", "sagas", "--json", "--rate", "400", "--sagas", "40", "--customers", "5")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var rep sagasReport
	// runAll mixes in the progress lines (standard error) before the report.
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{\n"):]), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rep.Rate != 400 || rep.Monolith.Sagas != 40 || len(rep.Modes) != 1 {
		t.Fatalf("report: %+v", rep)
	}
	m := rep.Modes[0]
	if m.Sagas != 40 || m.PerSecond <= 0 || m.Ratio <= 0 || m.P50 <= 0 || m.P99 < m.P50 || m.MessagesPerSaga < 3 {
		t.Errorf("figures: %+v", m)
	}
	// At least the create; how many handlings share a batch depends on
	// the machine's load.
	if len(m.Databases) != 3 || m.Transactions() < 1 || m.Commits() <= 0 || m.Statements() < 10 {
		t.Errorf("databases: %+v", m.Databases)
	}
	// The create alone keeps order.db's writer busy for a while.
	for _, d := range append(m.Databases, rep.Monolith.Databases...) {
		if d.WriterBusy < 0 || d.WriterBusy > 100 || d.Database == "order" && d.WriterBusy <= 0 {
			t.Errorf("writer busy: %+v", d)
		}
	}
	if m.LateP50 <= 0 || m.LateP99 < m.LateP50 || rep.Monolith.LateP50 <= 0 {
		t.Errorf("how late the orders went out: %+v, monolith %+v", m, rep.Monolith)
	}
	// The runtime samples the waits: a run of 40 sagas has some.
	if m.WaitP99 <= 0 || m.WaitP99 < m.WaitP50 || rep.Monolith.WaitP99 <= 0 {
		t.Errorf("scheduler waits: %+v, monolith %+v", m, rep.Monolith)
	}
	if _, err := runAll(t, "bench", "sagas", "--rate", "-1"); err == nil {
		t.Error("--rate -1 accepted")
	}
}

// --runs N measures N times, alternating, and reports the medians, each
// run's figures (JSON) and each run's ratios (text).
func TestBenchSagasRuns(t *testing.T) {
	out, err := runAll(t, "bench", "sagas", "--json", "--runs", "2", "--sagas", "30", "--clients", "4", "--customers", "5")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var rep sagasReport
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{\n"):]), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(rep.Runs) != 2 || len(rep.Modes) != 1 || len(rep.Runs[0].Modes) != 1 || len(rep.Runs[1].Modes) != 1 {
		t.Fatalf("report: %+v", rep)
	}
	a, b := rep.Runs[0], rep.Runs[1]
	if want := (a.Monolith.PerSecond + b.Monolith.PerSecond) / 2; rep.Monolith.PerSecond != want {
		t.Errorf("monolith %v/s, want the median of the runs' %v", rep.Monolith.PerSecond, want)
	}
	if want := (a.Modes[0].Ratio + b.Modes[0].Ratio) / 2; rep.Modes[0].Ratio != want {
		t.Errorf("ratio %v, want the median of the runs' %v", rep.Modes[0].Ratio, want)
	}
	out, err = runAll(t, "bench", "sagas", "--runs", "2", "--sagas", "30", "--clients", "4", "--customers", "5")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{`(?m)^2 runs, alternating: the medians$`, `(?m)^  monolith +\d+ +\d+ /s$`, `(?m)^  choreography +[\d.]+× +[\d.]+×$`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if len([]rune(line)) > 100 {
			t.Errorf("line over 100 columns: %q", line)
		}
	}
	if _, err := runAll(t, "bench", "sagas", "--runs", "0"); err == nil {
		t.Error("--runs 0 accepted")
	}
}
