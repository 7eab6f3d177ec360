package system

import (
	"fmt"
	"os"
	"path/filepath"

	"sagalab/modules/customer"
	"sagalab/modules/history"
	"sagalab/modules/order"
)

// DefaultSagaTimeout is how long a saga waits for a participant unless
// Config.SagaTimeout says otherwise.
const DefaultSagaTimeout = order.DefaultSagaTimeout

// Files are the module databases of a data directory, one per module.
func Files() []string { return []string{order.FileName, customer.FileName, history.FileName} }

// HasData returns an error that says so when dir holds no sagalab data.
func HasData(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, order.FileName)); err != nil {
		return fmt.Errorf("no sagalab data in %s (looked for %s): give the directory with --data", dir, order.FileName)
	}
	return nil
}

// SagaStatus is an order and its sagas as the Order service tells them.
type SagaStatus = order.SagaStatus

// CustomerState is a customer as its events fold to (Customers.Load,
// Customers.StateAt).
type CustomerState = customer.State
