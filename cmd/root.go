// Package cmd holds sagalab's command-line interface.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/spf13/cobra"
)

// Execute runs the command line and returns the process exit code.
// scenarios holds the built-in scenario files (under scenarios/).
func Execute(scenarios fs.FS) int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	stop := onSignal(cancel, os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot(scenarios)
	if err := root.ExecuteContext(ctx); err != nil {
		// A command a signal stopped fails with whatever was cut short: say
		// what stopped it instead.
		var sig *signalled
		if errors.As(err, &sig) || errors.As(context.Cause(ctx), &sig) {
			if isTerminal(root.ErrOrStderr()) {
				fmt.Fprint(root.ErrOrStderr(), "\r\x1b[K") // over the ^C the terminal echoed
			}
			fmt.Fprintln(root.ErrOrStderr(), "sagalab:", sig)
			return 128 + int(sig.sig)
		}
		var exit *exitError
		if !errors.As(err, &exit) {
			fmt.Fprintln(root.ErrOrStderr(), "sagalab:", err)
		}
		return 1
	}
	return 0
}

// exitError ends the program with status 1 once its message was printed.
type exitError struct{ msg string }

func (e *exitError) Error() string { return e.msg }

func newRoot(scenarios fs.FS) *cobra.Command {
	root := &cobra.Command{
		Use:   "sagalab",
		Short: "Event-driven data management you can run, watch and break",
		Long: `sagalab runs a small online store as in-process microservices: an Order service
and a Customer service, each with its own SQLite database, that talk only through
a message bus (Watermill). It shows the patterns of event-driven data management:

  database per service   order.db and customer.db; neither module reads the other's
  sagas                  Create Order as local transactions linked by messages,
                         choreographed or orchestrated, with compensations
  outbox and inbox       state change and message in one local transaction;
                         duplicates ignored by each consumer

Start with "sagalab demo", then "sagalab serve" to use the REST API.`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("sagalab {{.Version}}\n")
	root.AddCommand(newServe(), newDemo(scenarios), newSaga(), newView(), newQuery(), newBench(), newEvents(), newCustomer(), newOrder(), newTrace(), newWalkthrough(scenarios),
		newDeadLetters(), newBroker())
	return root
}
