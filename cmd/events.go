package cmd

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"sagalab/modules/system"
)

func newEvents() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Look inside the event store: a customer's stream, or statistics",
		Long: `Customers are event-sourced: each is stored as the stream of events that changed it,
in customer.db, and its state is rebuilt by replaying them (from a snapshot when one
exists). The event store also acts as the broker: every appended event is a message.`,
	}
	var dataDir string
	stream := &cobra.Command{
		Use:     "customer CUSTOMER",
		Short:   "Print a customer's stream: versions, types, data and time",
		Long:    "Print a customer's stream of events: versions, types, data and time.\n\n" + idHelp,
		Example: `  sagalab events customer 0f6dfdd2 --data ./sagalab-data`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return inspect(cmd.Context(), dataDir, func(sys *system.System) error {
				id, err := resolve(cmd.Context(), sys, system.CustomerKind, args[0])
				if err != nil {
					return err
				}
				evs, err := sys.Customers.Events(cmd.Context(), id)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				fmt.Fprintf(out, "stream %s: %d events\n", id, len(evs))
				for _, e := range evs {
					fmt.Fprintf(out, "  v%-4d %s  %s\n", e.Version, e.At.Format("15:04:05.000"), e.Type)
					printFolded(out, "        "+string(e.Data), "         ")
				}
				return nil
			})
		},
	}
	stream.Flags().StringVar(&dataDir, "data", "sagalab-data", "data directory to read")
	stats := &cobra.Command{
		Use:   "stats",
		Short: "Count streams, events and snapshots, and name the largest stream",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return inspect(cmd.Context(), dataDir, func(sys *system.System) error {
				st, err := sys.Customers.EventStats(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "streams %d · events %d · snapshots %d", st.Streams, st.Events, st.Snapshots)
				if st.LargestStream != "" {
					fmt.Fprintf(cmd.OutOrStdout(), " · largest stream %s (%d events)", st.LargestStream, st.LargestStreamEvents)
				}
				fmt.Fprintln(cmd.OutOrStdout())
				return nil
			})
		},
	}
	stats.Flags().StringVar(&dataDir, "data", "sagalab-data", "data directory to read")
	cmd.AddCommand(stream, stats)
	return cmd
}

func newCustomer() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "customer",
		Short: "Look at customers as the Customer service's aggregate sees them",
	}
	var dataDir string
	var version int64
	show := &cobra.Command{
		Use:   "show CUSTOMER",
		Short: "Show a customer's state, now or as of a version of its stream (time travel)",
		Long: `Show a customer's state rebuilt from its events: credit limit, open reservations and
available credit. With --at-version N only the first N events are replayed, so you see
the customer as it was then. Versions start at 1, the customer's creation; without
--at-version every event is replayed.

` + idHelp,
		Example: `  sagalab customer show 0f6dfdd2 --at-version 3
  sagalab customer show john --data ./demo-data`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("at-version") && version < 1 {
				return fmt.Errorf("--at-version: %d is not a stream version; versions start at 1, the customer's creation", version)
			}
			return inspect(cmd.Context(), dataDir, func(sys *system.System) error {
				id, err := resolve(cmd.Context(), sys, system.CustomerKind, args[0])
				if err != nil {
					return err
				}
				st, err := sys.Customers.StateAt(cmd.Context(), id, version)
				if err != nil {
					return err
				}
				if version > 0 && st.Version < version {
					return fmt.Errorf("customer %s has %d events, no version %d", id, st.Version, version)
				}
				printState(cmd.OutOrStdout(), st)
				return nil
			})
		},
	}
	show.Flags().StringVar(&dataDir, "data", "sagalab-data", "data directory to read")
	show.Flags().Int64Var(&version, "at-version", 0, "replay only the first N events, N from 1 (default: all)")
	cmd.AddCommand(show)
	return cmd
}

func printState(out io.Writer, st system.CustomerState) {
	fmt.Fprintf(out, "customer %s (%s) as of version %d\n", st.ID, st.Name, st.Version)
	fmt.Fprintf(out, "  created %s\n", st.CreatedAt.Format(time.RFC3339))
	fmt.Fprintf(out, "  credit limit %s, reserved %s, available %s\n", st.CreditLimit, st.Reserved, st.Available)
	if len(st.Open) == 0 {
		fmt.Fprintln(out, "  no open reservations")
		return
	}
	var lines []string
	for order, amount := range st.Open {
		lines = append(lines, fmt.Sprintf("    order %s holds %s", order, amount))
	}
	slices.Sort(lines)
	fmt.Fprintf(out, "  open reservations:\n%s\n", strings.Join(lines, "\n"))
}
