package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/rest"
	"sagalab/modules/system"
)

// idHelp says what a command's id argument may be.
const idHelp = `The id may be given whole, as a unique prefix (such as the 8 characters the demo
prints) or as the name a demo or walkthrough run on the directory gave it (o1, john).`

func newOrder() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "order",
		Short: "Look at the Order service's orders",
	}
	var dataDir, state, customer string
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the orders, oldest first: id, customer, total, state, reason, saga mode, created",
		Long: `List the orders of a data directory, oldest first. Ids are shortened to a prefix that
every command taking an id accepts (sagalab trace, saga show); --json gives them whole.
It only reads: it is safe while sagalab is serving the directory.`,
		Example: `  sagalab order list --data ./sagalab-data
  sagalab order list --state rejected
  sagalab order list --customer john --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var f ordercontract.Filter
			if state != "" {
				st, err := parseState(state)
				if err != nil {
					return fmt.Errorf("--state: %w", err)
				}
				f.State = st
			}
			return inspect(cmd.Context(), dataDir, func(sys *system.System) error {
				if customer != "" {
					id, err := resolve(cmd.Context(), sys, system.CustomerKind, customer)
					if err != nil {
						return fmt.Errorf("--customer: %w", err)
					}
					f.CustomerID = id
				}
				orders, err := sys.Orders.FindOrders(cmd.Context(), f)
				if err != nil {
					return err
				}
				if asJSON {
					return writeOrdersJSON(cmd.OutOrStdout(), orders)
				}
				return writeOrders(cmd.OutOrStdout(), orders)
			})
		},
	}
	list.Flags().StringVar(&dataDir, "data", "sagalab-data", "data directory to read")
	list.Flags().StringVar(&state, "state", "", "only orders in this state: PENDING, APPROVED, REJECTED or CANCELLED")
	list.Flags().StringVar(&customer, "customer", "", "only this customer's orders (an id, a prefix or a name)")
	list.Flags().BoolVar(&asJSON, "json", false, `print {"orders": [...]} as GET /orders does, with whole ids and times`)
	cmd.AddCommand(list)
	return cmd
}

func parseState(s string) (ordercontract.State, error) {
	switch st := ordercontract.State(strings.ToUpper(s)); st {
	case ordercontract.Pending, ordercontract.Approved, ordercontract.Rejected, ordercontract.Cancelled:
		return st, nil
	}
	return "", fmt.Errorf("want PENDING, APPROVED, REJECTED or CANCELLED, not %q", s)
}

// writeOrders prints orders as a table of at most 100 columns.
func writeOrders(out io.Writer, orders []ordercontract.Order) error {
	if len(orders) == 0 {
		_, err := fmt.Fprintln(out, "no orders")
		return err
	}
	ids := make([]string, 0, 2*len(orders))
	for _, o := range orders {
		ids = append(ids, o.ID, o.CustomerID)
	}
	n := uniquePrefixLen(ids, 8)
	rows := [][]string{{"ID", "CUSTOMER", "TOTAL", "STATE", "REASON", "MODE", "CREATED"}}
	for _, o := range orders {
		reason := o.RejectionReason
		if reason == "" {
			reason = "-"
		}
		rows = append(rows, []string{o.ID[:min(n, len(o.ID))], o.CustomerID[:min(n, len(o.CustomerID))],
			o.OrderTotal.String(), string(o.State), reason, string(o.SagaMode), o.CreatedAt.Local().Format(time.DateTime)})
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, cell := range r {
			widths[i] = max(widths[i], len(cell))
		}
	}
	for _, r := range rows {
		var line strings.Builder
		for i, cell := range r {
			if i > 0 {
				line.WriteString("  ")
			}
			if i == 2 { // amounts line up on the right
				fmt.Fprintf(&line, "%*s", widths[i], cell)
			} else {
				fmt.Fprintf(&line, "%-*s", widths[i], cell)
			}
		}
		fmt.Fprintln(out, strings.TrimRight(line.String(), " "))
	}
	_, err := fmt.Fprintf(out, "%s\n", plural(len(orders), "order"))
	return err
}

// uniquePrefixLen returns the smallest length, at least min, at which the
// prefixes of the distinct ids differ.
func uniquePrefixLen(ids []string, least int) int {
	for n := least; ; n++ {
		seen := map[string]string{}
		clash, longer := false, false
		for _, id := range ids {
			p := id[:min(n, len(id))]
			if other, ok := seen[p]; ok && other != id {
				clash = true
			}
			seen[p] = id
			longer = longer || len(id) > n
		}
		if !clash || !longer {
			return n
		}
	}
}

// writeOrdersJSON prints orders as GET /orders lists them, with their
// times and without the architecture.
func writeOrdersJSON(out io.Writer, orders []ordercontract.Order) error {
	rows := rest.OrdersOf(orders, "")
	for i, o := range orders {
		rows[i].CreatedAt, rows[i].UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"orders": rows})
}
