// Package scenario reads the scenario files of testdata/scenarios and runs
// them against a running system: the same file drives go test, sagalab demo
// and the classroom walkthrough.
//
// A scenario declares customers, then steps (create an order, cancel one),
// then the outcome it expects: each order's final state and reason, and each
// customer's available credit.
package scenario

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
	"sagalab/modules/system"
)

// Scenario is one scenario file.
type Scenario struct {
	// Name is the file name without .json; it is how users pick it.
	Name        string     `json:"-"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Customers   []Customer `json:"customers"`
	Steps       []Step     `json:"steps"`
	// Concepts are the ideas from the slides the scenario shows.
	Concepts []string `json:"concepts,omitempty"`
	// Faults, in the --fault syntax (see system.ParseFaults), are injected
	// while the scenario runs.
	Faults string `json:"faults,omitempty"`
	// SagaTimeout, if set, replaces the default saga deadline.
	SagaTimeout Duration `json:"sagaTimeout,omitempty"`
	// SnapshotEvery, if set, snapshots customers every so many events.
	SnapshotEvery int `json:"snapshotEvery,omitempty"`
	// Architecture, if set, is the only architecture the scenario runs on.
	Architecture system.Architecture `json:"architecture,omitempty"`
	// SagaMode, if set, is the only mode the scenario runs in (2pc): the
	// default mode of its orders.
	SagaMode contract.SagaMode `json:"sagaMode,omitempty"`
	Expect   Expect            `json:"expect"`
}

// Modes returns the modes the scenario runs in, of all: its own if it
// names one.
func (sc *Scenario) Modes(all []contract.SagaMode) []contract.SagaMode {
	if sc.SagaMode != "" {
		return []contract.SagaMode{sc.SagaMode}
	}
	return all
}

// AppliesTo reports whether the scenario means something on arch. On the
// monolith, a scenario whose point is the bus (faults, a module down, time
// passing for a saga's deadline) does not apply: there is no bus.
func (sc *Scenario) AppliesTo(arch system.Architecture) bool {
	if arch == "" {
		arch = system.Microservices
	}
	if sc.Architecture != "" {
		return sc.Architecture == arch
	}
	if arch != system.Monolith {
		return true
	}
	if sc.SagaMode != "" {
		return false // a coordination across services
	}
	if f, err := system.ParseFaults(sc.Faults); err != nil || f.Any() || len(f.Pauses) > 0 {
		return false
	}
	for _, st := range sc.Steps {
		if st.Pause != "" || st.Resume != "" || st.Wait > 0 || st.NoWait || st.Mode != "" || st.CrashCoordinator {
			return false
		}
	}
	return true
}

// Duration is a time.Duration written as "5s" in a scenario file.
type Duration time.Duration

// UnmarshalJSON reads a duration such as "300ms".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want a string such as \"5s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("duration %q: want a positive duration such as 5s", s)
	}
	*d = Duration(v)
	return nil
}

// Customer is a customer the scenario creates; Ref names it in steps.
type Customer struct {
	Ref         string      `json:"ref"`
	Name        string      `json:"name"`
	CreditLimit money.Money `json:"creditLimit"`
}

// Step is one action; exactly one of Order, Cancel, Pause, Resume, Wait,
// Events and Compare is set.
type Step struct {
	// Order creates an order with this ref for Customer, of Total.
	Order    string      `json:"order,omitempty"`
	Customer string      `json:"customer,omitempty"`
	Total    money.Money `json:"total,omitempty"`
	// Crash, with Order, stops the process right after the order's local
	// commit, before anything is published, and starts it again on the
	// same data.
	Crash bool `json:"crash,omitempty"`
	// Mode, with Order, is the order's saga mode, instead of the run's.
	Mode contract.SagaMode `json:"mode,omitempty"`
	// CrashCoordinator, with a two-phase commit Order, takes the coordinator
	// down once it has sent PREPARE, lets both participants vote, and
	// restarts sagalab on the same data with the coordinator still down
	// (until a resume step names "coordinator").
	CrashCoordinator bool `json:"crashCoordinator,omitempty"`
	// Cancel cancels the order with this ref.
	Cancel string `json:"cancel,omitempty"`
	// NoWait starts the next step without waiting for this order's saga.
	NoWait bool `json:"noWait,omitempty"`
	// Pause stops a module's consumers ("customer", "order", "history"):
	// the module is down. Resume starts them again.
	Pause  string `json:"pause,omitempty"`
	Resume string `json:"resume,omitempty"`
	// Wait lets time pass: saga deadlines may expire.
	Wait Duration `json:"wait,omitempty"`
	// Events shows a customer's event stream and its state rebuilt from the
	// latest snapshot.
	Events string `json:"events,omitempty"`
	// Compare answers a customer's order history by API composition and
	// from the CQRS view, side by side.
	Compare string `json:"compare,omitempty"`
	// Say is a sentence shown with the step.
	Say string `json:"say,omitempty"`
}

// kinds counts the actions a step names.
func (st Step) kinds() int {
	n := 0
	for _, set := range []bool{st.Order != "", st.Cancel != "", st.Pause != "", st.Resume != "", st.Wait > 0,
		st.Events != "", st.Compare != ""} {
		if set {
			n++
		}
	}
	return n
}

// Expect is the outcome a scenario expects.
type Expect struct {
	Orders    map[string]ExpectOrder    `json:"orders"`
	Customers map[string]ExpectCustomer `json:"customers"`
}

// ExpectOrder is an order's expected final state.
type ExpectOrder struct {
	State  contract.State `json:"state"`
	Reason string         `json:"reason,omitempty"`
}

// ExpectCustomer is a customer's expected final credit.
type ExpectCustomer struct {
	AvailableCredit money.Money `json:"availableCredit"`
}

// Dir is where scenario files live inside the scenarios file system.
const Dir = "scenarios"

// Load reads the scenario called name from fsys.
func Load(fsys fs.FS, name string) (*Scenario, error) {
	name = strings.TrimSuffix(path.Base(name), ".json")
	b, err := fs.ReadFile(fsys, path.Join(Dir, name+".json"))
	if err != nil {
		names, _ := Names(fsys)
		return nil, fmt.Errorf("no scenario %q (known: %s)", name, strings.Join(names, ", "))
	}
	return Parse(name, b)
}

// Parse reads and checks a scenario.
func Parse(name string, b []byte) (*Scenario, error) {
	var sc Scenario
	if err := json.Unmarshal(b, &sc); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", name, err)
	}
	sc.Name = name
	if err := sc.check(); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", name, err)
	}
	return &sc, nil
}

// Names lists the scenarios in fsys.
func Names(fsys fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(fsys, Dir)
	if err != nil {
		return nil, fmt.Errorf("list scenarios: %w", err)
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".json"); ok && !e.IsDir() {
			names = append(names, n)
		}
	}
	return names, nil
}

// All loads every scenario in fsys.
func All(fsys fs.FS) ([]*Scenario, error) {
	names, err := Names(fsys)
	if err != nil {
		return nil, err
	}
	var out []*Scenario
	for _, n := range names {
		sc, err := Load(fsys, n)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

// Configure applies the scenario's settings to cfg: its saga timeout, its
// snapshot interval and, unless cfg already has faults, its faults.
func (sc *Scenario) Configure(cfg system.Config) (system.Config, error) {
	if sc.Architecture != "" {
		cfg.Architecture = sc.Architecture
	}
	if sc.SagaTimeout > 0 {
		cfg.SagaTimeout = time.Duration(sc.SagaTimeout)
	}
	if sc.SnapshotEvery > 0 {
		cfg.SnapshotEvery = sc.SnapshotEvery
	}
	if sc.SagaMode != "" {
		cfg.SagaMode = sc.SagaMode
	}
	if sc.Faults != "" && !cfg.Faults.Any() && len(cfg.Faults.Pauses) == 0 && cfg.Faults.CrashAfterOrder == 0 {
		f, err := system.ParseFaults(sc.Faults)
		if err != nil {
			return cfg, fmt.Errorf("scenario %s: faults: %w", sc.Name, err)
		}
		cfg.Faults = f
	}
	return cfg, nil
}

func (sc *Scenario) check() error {
	if sc.Title == "" {
		return fmt.Errorf("title is missing")
	}
	customers := map[string]bool{}
	for _, c := range sc.Customers {
		if c.Ref == "" || c.Name == "" {
			return fmt.Errorf("every customer needs a ref and a name")
		}
		if customers[c.Ref] {
			return fmt.Errorf("customer ref %q is used twice", c.Ref)
		}
		customers[c.Ref] = true
	}
	orders := map[string]bool{}
	modules := []string{"order", "customer", "history", contract.Coordinator}
	for i, st := range sc.Steps {
		if st.kinds() != 1 {
			return fmt.Errorf("step %d: give exactly one of order, cancel, pause, resume, wait, events and compare", i+1)
		}
		switch {
		case st.Order != "":
			if orders[st.Order] {
				return fmt.Errorf("step %d: order ref %q is used twice", i+1, st.Order)
			}
			if st.Customer == "" || st.Total <= 0 {
				return fmt.Errorf("step %d: order %q needs a customer and a total above 0", i+1, st.Order)
			}
			if st.Mode != "" {
				if _, err := contract.ParseSagaMode(string(st.Mode)); err != nil {
					return fmt.Errorf("step %d: mode: %w", i+1, err)
				}
			}
			if st.CrashCoordinator && st.Mode != contract.TwoPhaseCommit && sc.SagaMode != contract.TwoPhaseCommit {
				return fmt.Errorf("step %d: crashCoordinator needs a 2pc order", i+1)
			}
			orders[st.Order] = true
		case st.Cancel != "":
			if !orders[st.Cancel] {
				return fmt.Errorf("step %d: cancel names order %q, which no earlier step creates", i+1, st.Cancel)
			}
		case st.Pause != "" || st.Resume != "":
			if m := st.Pause + st.Resume; !slices.Contains(modules, m) {
				return fmt.Errorf("step %d: no module %q (order, customer, history or coordinator)", i+1, m)
			}
		case st.Events != "" || st.Compare != "":
			if ref := st.Events + st.Compare; !customers[ref] {
				return fmt.Errorf("step %d: customer %q is not declared", i+1, ref)
			}
		}
	}
	if _, err := system.ParseFaults(sc.Faults); err != nil {
		return fmt.Errorf("faults: %w", err)
	}
	if sc.SagaMode != "" {
		if _, err := contract.ParseSagaMode(string(sc.SagaMode)); err != nil {
			return fmt.Errorf("sagaMode: %w", err)
		}
	}
	if sc.Architecture != "" {
		if _, err := system.ParseArchitecture(string(sc.Architecture)); err != nil {
			return fmt.Errorf("architecture: %w", err)
		}
	}
	for ref := range sc.Expect.Orders {
		if !orders[ref] {
			return fmt.Errorf("expect names order %q, which no step creates", ref)
		}
	}
	for ref := range sc.Expect.Customers {
		if !customers[ref] {
			return fmt.Errorf("expect names customer %q, which is not declared", ref)
		}
	}
	return nil
}

// ModeOf returns the mode order ref's step names, "" for the run's.
func (sc *Scenario) ModeOf(ref string) contract.SagaMode {
	for _, st := range sc.Steps {
		if st.Order == ref {
			return st.Mode
		}
	}
	return ""
}

// OrderRefs returns the scenario's order refs in step order.
func (sc *Scenario) OrderRefs() []string {
	var refs []string
	for _, st := range sc.Steps {
		if st.Order != "" && !slices.Contains(refs, st.Order) {
			refs = append(refs, st.Order)
		}
	}
	return refs
}
