package cmd

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"sagalab/modules/shared/queries"
	"sagalab/modules/system"
)

func newQuery() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "query",
		Short: "Run a query across services, by API composition or on the CQRS view",
	}
	var dataDir, minTotal, state, createdAfter, via string
	var latency time.Duration
	valuable := &cobra.Command{
		Use:   "valuable-customers",
		Short: `The slides' "recent, valuable customers" query, three ways`,
		Long: `Customers created after a date who have an order in a given state with a total
above a threshold: the query the slides say API composition cannot do efficiently.

  --via composition-1n     fetch the recent customers, then each one's orders (1+N round trips)
  --via composition-bulk   fetch recent customers and all qualifying orders, join in memory (2)
  --via view               one indexed query on the CQRS view (1)
  --via all                all three, with the rows checked to be the same
  --via monolith           one SQL join on the monolith's store.db (a directory the monolith
                           wrote: sagalab serve --arch monolith), as the slides' query reads

Each prints the rows, the round trips across service boundaries, the rows moved
and the time taken. --call-latency adds a simulated network delay to each round trip.`,
		Example: `  sagalab query valuable-customers --min-total 100 --state APPROVED --created-after 2026-11-01 --via all`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := queries.ParseValuableQuery(minTotal, state, createdAfter)
			if err != nil {
				return err
			}
			if via == queries.ViaMonolith {
				return queryMonolith(cmd.Context(), cmd.OutOrStdout(), dataDir, q)
			}
			vias := []string{via}
			if via == queries.ViaAll {
				vias = queries.Vias
			}
			return inspect(cmd.Context(), dataDir, func(sys *system.System) error {
				sys.Composer.CallLatency = latency
				var first []queries.ValuableCustomer
				for i, v := range vias {
					rows, st, err := sys.ValuableCustomers(cmd.Context(), v, q)
					if err != nil {
						return err
					}
					if i == 0 {
						first = rows
						printRows(cmd.OutOrStdout(), rows)
					} else if !queries.Same(rows, first) {
						return fmt.Errorf("%s returned other rows than %s", v, vias[0])
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%-17s %d rows · %d round trips · %d rows moved · %s\n",
						v, len(rows), st.RoundTrips, st.RowsFetched, st.Elapsed.Round(time.Microsecond))
				}
				return nil
			})
		},
	}
	f := valuable.Flags()
	f.StringVar(&dataDir, "data", "sagalab-data", "data directory")
	f.StringVar(&minTotal, "min-total", "0", "orders must total more than this amount")
	f.StringVar(&state, "state", "APPROVED", "order state: PENDING, APPROVED, REJECTED or CANCELLED")
	f.StringVar(&createdAfter, "created-after", "", "customers created after this time (2026-11-26 or RFC 3339)")
	f.StringVar(&via, "via", "all", "composition-1n, composition-bulk, view, all, or monolith")
	f.DurationVar(&latency, "call-latency", 0, "simulated latency of each call across a service boundary")
	cmd.AddCommand(valuable)
	return cmd
}

func printRows(out io.Writer, rows []queries.ValuableCustomer) {
	const show = 10
	for i, r := range rows {
		if i == show {
			fmt.Fprintf(out, "  … and %d more\n", len(rows)-show)
			break
		}
		fmt.Fprintf(out, "  %s  %-20s %d orders, %s in all\n", shortID(r.CustomerID), r.Name, len(r.Orders), r.Total)
	}
}

// queryMonolith answers the query with one SQL join on the monolith's
// database in dataDir.
func queryMonolith(ctx context.Context, out io.Writer, dataDir string, q queries.ValuableCustomers) error {
	m, err := system.InspectMonolith(ctx, dataDir)
	if err != nil {
		return err
	}
	defer m.Close()
	started := time.Now()
	rows, st, err := m.Store.ValuableCustomers(ctx, q)
	if err != nil {
		return err
	}
	printRows(out, rows)
	fmt.Fprintf(out, "%-17s %d rows · %d round trip · %d rows moved · %s\n",
		queries.ViaMonolith, len(rows), st.RoundTrips, st.RowsFetched, time.Since(started).Round(time.Microsecond))
	return nil
}
