package cmd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"sagalab/cmd/internal/scenario"
	customercontract "sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/system"
)

// resolve returns the id of the order or customer that given names in
// sys's data directory: its id, a unique prefix (the 8 characters the demo
// prints) or a name a demo or walkthrough run gave it (o1, john). Every
// command that takes an id goes through it.
func resolve(ctx context.Context, sys *system.System, kind system.Kind, given string) (string, error) {
	id, err := sys.Resolve(ctx, kind, given)
	if errors.Is(err, ordercontract.ErrNotFound) || errors.Is(err, customercontract.ErrNotFound) {
		hint := ""
		if kind == system.OrderKind {
			hint = fmt.Sprintf(" (sagalab order list --data %s lists them)", sys.DataDir())
		}
		return "", fmt.Errorf("no %s %q in %s%s", kind, given, sys.DataDir(), hint)
	}
	return id, err
}

// recordNames records in dataDir which ids the names of sc's customers and
// orders stood for in res, so that later commands take them.
func recordNames(dataDir string, sc *scenario.Scenario, res *scenario.Result) error {
	at := time.Now()
	var names []system.Name
	add := func(kind system.Kind, ref string) {
		if id := res.IDs[ref]; id != "" {
			names = append(names, system.Name{Name: ref, Kind: kind, ID: id, Scenario: sc.Name, At: at})
		}
	}
	for _, c := range sc.Customers {
		add(system.CustomerKind, c.Ref)
	}
	for _, ref := range sc.OrderRefs() {
		add(system.OrderKind, ref)
	}
	return system.RecordNames(dataDir, names)
}
