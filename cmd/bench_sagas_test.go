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
	if len(m.Databases) != 3 || m.Transactions() < 5 || m.Commits() <= 0 || m.Statements() < 10 {
		t.Errorf("databases: %+v", m.Databases)
	}
	if _, err := runAll(t, "bench", "sagas", "--rate", "-1"); err == nil {
		t.Error("--rate -1 accepted")
	}
}
