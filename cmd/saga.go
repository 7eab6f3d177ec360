package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"sagalab/bus/saga"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/system"
)

func newSaga() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "saga",
		Short: "Inspect sagas: where they stand and what happened",
		Long: `Inspect the sagas in a data directory (the one "sagalab serve" uses, by default
./sagalab-data). It only reads: it is safe while sagalab is serving the directory.`,
	}
	cmd.AddCommand(newSagaShow(), newSagaList())
	return cmd
}

// inspect opens dataDir for reading, without starting delivery, and runs fn
// on it.
func inspect(ctx context.Context, dataDir string, fn func(*system.System) error) error {
	sys, err := system.Start(ctx, system.Config{DataDir: dataDir, Inspect: true,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return err
	}
	return errors.Join(fn(sys), sys.Close())
}

func newSagaShow() *cobra.Command {
	var dataDir string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ORDER",
		Short: "Explain an order's saga: mode, state, current step, deadline and history",
		Long: `Explain an order's saga in words: its mode, its state, the step it waits on, whether
it is compensating, its deadline, then the history of its steps and messages with
timestamps. In choreography there is no saga object (the saga is distributed over
the services): the history comes from each service's outbox and inbox.

` + idHelp,
		Example: `  sagalab saga show 3f2a9c1b-0d4e-4c55-9d36-8a1f0c2b7e11 --data ./sagalab-data
  sagalab saga show o1 --data ./demo-data`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return inspect(cmd.Context(), dataDir, func(sys *system.System) error {
				id, err := resolve(cmd.Context(), sys, system.OrderKind, args[0])
				if err != nil {
					return err
				}
				rep, err := sys.SagaReport(cmd.Context(), id)
				if err != nil {
					return err
				}
				if asJSON {
					enc := json.NewEncoder(cmd.OutOrStdout())
					enc.SetIndent("", "  ")
					return enc.Encode(rep.JSON())
				}
				printSagaReport(cmd.OutOrStdout(), rep)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&dataDir, "data", "sagalab-data", "data directory to read")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON (as GET /sagas/{orderId})")
	return cmd
}

func newSagaList() *cobra.Command {
	var dataDir string
	var stuck time.Duration
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the sagas not finished yet, oldest first, with the step they wait on",
		Example: `  sagalab saga list
  sagalab saga list --stuck 10s     only those started more than 10s ago`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if stuck < 0 {
				return fmt.Errorf("--stuck must not be negative")
			}
			return inspect(cmd.Context(), dataDir, func(sys *system.System) error {
				list, err := sys.Orders.Unfinished(cmd.Context(), stuck)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if len(list) == 0 {
					fmt.Fprintln(out, "no unfinished sagas")
					return nil
				}
				now := time.Now()
				for _, st := range list {
					printFolded(out, fmt.Sprintf("%s  %-13s  started %s ago%s", st.Order.ID, st.Order.SagaMode,
						now.Sub(startedAt(st)).Round(time.Millisecond), deadlineNote(st.Deadline, now)), "    ")
					printFolded(out, "  waiting for "+st.Waiting, "    ")
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&dataDir, "data", "sagalab-data", "data directory to read")
	cmd.Flags().DurationVar(&stuck, "stuck", 0, "list only sagas started at least this long ago")
	return cmd
}

func startedAt(st system.SagaStatus) time.Time {
	if n := len(st.Runs); n > 0 {
		return st.Runs[n-1].CreatedAt
	}
	return st.Order.CreatedAt
}

func deadlineNote(d, now time.Time) string {
	switch {
	case d.IsZero():
		return ""
	case d.Before(now):
		return fmt.Sprintf(" (deadline passed %s ago)", now.Sub(d).Round(time.Millisecond))
	default:
		return fmt.Sprintf(" (times out in %s)", d.Sub(now).Round(time.Millisecond))
	}
}

func printSagaReport(out io.Writer, r system.SagaReport) {
	o := r.Order
	head := fmt.Sprintf("order %s: total %s, now %s", o.ID, o.OrderTotal, o.State)
	if o.RejectionReason != "" {
		head += " (" + o.RejectionReason + ")"
	}
	printFolded(out, head, "  ")
	fmt.Fprintf(out, "customer: %s\n", o.CustomerID)
	if o.SagaMode == ordercontract.Orchestration {
		fmt.Fprintln(out, "saga mode: orchestration — the Order service's orchestrator, a persistent state machine,")
		fmt.Fprintln(out, "           tells the Customer service what to do with commands and waits for replies")
	} else {
		fmt.Fprintln(out, "saga mode: choreography — no orchestrator: each service reacts to the other's events,")
		fmt.Fprintln(out, "           so the saga's state is spread over the services' databases")
	}
	printFolded(out, fmt.Sprintf("state: %s — %s", r.State, stateWords(r)), "       ")
	if r.Waiting != "" {
		printFolded(out, "waiting for: "+r.Waiting, "             ")
	}
	if !r.Deadline.IsZero() {
		printFolded(out, fmt.Sprintf("deadline: %s%s", r.Deadline.Format(time.RFC3339Nano), deadlineNote(r.Deadline, time.Now())), "          ")
	}
	printStuckOn(out, r)
	for _, run := range r.Runs {
		state := string(run.State)
		if run.Compensating {
			state += ", compensating"
		}
		fmt.Fprintln(out)
		fmt.Fprintf(out, "%s saga: %s, version %d\n", run.Type, state, run.Version)
		printFolded(out, "  instance "+run.ID, "    ")
		printFolded(out, fmt.Sprintf("  data %s", run.Data), "       ")
	}
	fmt.Fprintln(out, "\nhistory")
	var start time.Time
	for i, l := range r.Story() {
		if i == 0 {
			start = l.At
		}
		printFolded(out, fmt.Sprintf("  %s  +%-9s %-8s %s", l.At.Format("15:04:05.000"), l.At.Sub(start).Round(time.Microsecond*100),
			l.Module, l.Text), strings.Repeat(" ", 36))
	}
}

func stateWords(r system.SagaReport) string {
	switch r.State {
	case saga.Running:
		if r.Compensating {
			return "running its compensations"
		}
		return "in progress"
	case saga.Completed:
		if r.Order.State == ordercontract.Cancelled {
			return "finished: the order was cancelled and its credit released"
		}
		return "finished: every step succeeded"
	case saga.Compensated:
		return "finished by compensation: a step failed or timed out, and the steps before it were undone"
	}
	return string(r.State)
}

// printStuckOn tells which of the order's messages a module could not
// handle and parked, and why: what a running saga is stuck on.
func printStuckOn(out io.Writer, r system.SagaReport) {
	label := "stuck on: "
	if r.State != saga.Running {
		label = "parked:   "
	}
	for _, dl := range r.DeadLetters {
		fmt.Fprintln(out, wrapText(fmt.Sprintf("%s%s could not handle %s (message %s) after %s; it is parked as a dead letter",
			label, dl.Consumer, dl.Type, shortID(dl.ID), plural(dl.Attempts, "attempt")), "          ", lineWidth))
		fmt.Fprintln(out, wrapText("          error: "+dl.Error, "                 ", lineWidth))
		fmt.Fprintf(out, "          once fixed: sagalab dead-letters retry %s --consumer %s\n", shortID(dl.ID), dl.Consumer)
		label = "          "
	}
}
