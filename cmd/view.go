package cmd

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"sagalab/modules/system"
)

func newView() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "view",
		Short: "The CQRS order-history view: status and rebuild",
		Long: `The order-history view (history.db) is a read-only replica kept up to date from
the Customer and Order services' events: the CQRS answer to queries across services.`,
	}
	var dataDir string
	rebuild := &cobra.Command{
		Use:   "rebuild",
		Short: "Rebuild history.db from scratch from the services' event logs",
		Long: `Rebuild the order-history view from the events the Customer and Order services keep
in their outboxes. The new view is built beside the old one and replaces it only
when complete. Stop "sagalab serve" on the directory first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			started := time.Now()
			n, err := system.RebuildView(cmd.Context(), dataDir, func(topic string, applied int) {
				fmt.Fprintf(cmd.ErrOrStderr(), "\rreplaying %-16s %d events", topic, applied)
			})
			fmt.Fprintln(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			took := time.Since(started)
			fmt.Fprintf(cmd.OutOrStdout(), "rebuilt %s/history.db from %d events in %s (%.0f events/s)\n",
				dataDir, n, took.Round(time.Millisecond), float64(n)/max(took.Seconds(), 1e-9))
			return nil
		},
	}
	rebuild.Flags().StringVar(&dataDir, "data", "sagalab-data", "data directory")
	status := &cobra.Command{
		Use:   "status",
		Short: "Show how far the view lags behind each source",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return inspect(cmd.Context(), dataDir, func(sys *system.System) error {
				st, err := sys.ViewStatus(cmd.Context())
				if err != nil {
					return err
				}
				for _, s := range st {
					fmt.Fprintf(cmd.OutOrStdout(), "%-16s source at %d, view at %d, lag %d\n", s.Topic, s.Source, s.Applied, s.Lag)
				}
				return nil
			})
		},
	}
	status.Flags().StringVar(&dataDir, "data", "sagalab-data", "data directory")
	cmd.AddCommand(rebuild, status)
	return cmd
}
