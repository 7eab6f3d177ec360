package cmd

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"sagalab/modules/system"
	"sagalab/storage"
)

func newView() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "view",
		Short: "The CQRS order-history view: status and rebuild",
		Long: `The order-history view (history.db) is a read-only replica kept up to date from
the Customer and Order services' events: the CQRS answer to queries across services.`,
	}
	var dataDir, addr string
	rebuild := &cobra.Command{
		Use:   "rebuild",
		Short: "Rebuild history.db from scratch from the services' event logs",
		Long: `Rebuild the order-history view from the events the Customer and Order services keep
in their outboxes.

With --addr, the running server at that address rebuilds its own view and loses
nothing: the view's consumers pause (the events sent meanwhile wait for them), the
new view is built and swapped in, and they resume where it stands. Queries are
answered from the old view until the swap. Against the gateway of serve --split, the
History service's process rebuilds its view from the Order and Customer services' logs
over HTTP; if one of them is down, nothing is swapped and the error names it.

With --data, the view in that directory is rebuilt offline: no server may be
running on the directory (it is refused if one is). The new view is built beside
the old one and replaces it only when complete.`,
		Example: `  sagalab view rebuild --addr 127.0.0.1:8080
  sagalab view rebuild --data ./sagalab-data`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("addr") {
				if cmd.Flags().Changed("data") {
					return errors.New("give --addr (a running server's view) or --data (offline), not both")
				}
				return rebuildOnline(cmd, addr)
			}
			return rebuildOffline(cmd, dataDir)
		},
	}
	rebuild.Flags().StringVar(&dataDir, "data", "sagalab-data", "data directory to rebuild offline")
	rebuild.Flags().StringVar(&addr, "addr", "", "address of a running sagalab serve whose view to rebuild (host:port or URL)")
	status := &cobra.Command{
		Use:   "status",
		Short: "Show how far the view lags behind each source",
		Long: `Show, for each log the view reads, the source's last position, the view's and the
lag between them. It only reads: it is safe while sagalab is serving the directory.`,
		Args: cobra.NoArgs,
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

func rebuildOffline(cmd *cobra.Command, dataDir string) error {
	var bar *progress
	done := 0
	res, err := system.RebuildView(cmd.Context(), dataDir, func(st system.RebuildStatus) {
		if bar == nil {
			bar = newProgress(cmd.ErrOrStderr(), "rebuilding the view", st.Total)
		}
		bar.add(st.Applied - done)
		done = st.Applied
	})
	if bar != nil {
		bar.finish()
	}
	var locked *storage.LockedError
	if errors.As(err, &locked) {
		return fmt.Errorf("%w\nto rebuild a running server's view without losing events, use: "+
			"sagalab view rebuild --addr HOST:PORT", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "rebuilt %s/history.db from %d events in %s (%.0f events/s)\n",
		dataDir, res.Events, res.Took.Round(time.Millisecond), float64(res.Events)/max(res.Took.Seconds(), 1e-9))
	return nil
}
