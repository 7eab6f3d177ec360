package cmd

import (
	"context"
	"fmt"
	"io"
	"sagalab/cmd/internal/classroom"
	"sort"

	"sagalab/cmd/internal/scenario"
	"sagalab/cmd/internal/trace"
	"sagalab/modules/system"
)

// runMonolithDemo runs sc on the monolith: each step with the one
// transaction it committed, then the final state of store.db.
func runMonolithDemo(ctx context.Context, out io.Writer, sc *scenario.Scenario, cfg system.Config) error {
	fmt.Fprintf(out, "scenario %s · monolith (one database, no saga)\n  %s\n", sc.Name, sc.Title)
	for _, line := range wrap(sc.Description, 84) {
		fmt.Fprintf(out, "  %s\n", line)
	}
	fmt.Fprintf(out, "data %s\n\n", cfg.DataDir)
	var commits []system.MonolithCommit
	sess, err := classroom.NewMonolithSession(ctx, cfg, func(c system.MonolithCommit) { commits = append(commits, c) }, nil)
	if err != nil {
		return err
	}
	defer sess.Close()
	txs := 0
	res, err := sc.Run(ctx, sess, func(e scenario.Event) error {
		if e.Kind == "compare" {
			e.Text = "customer " + e.Ref + "'s order history, one SQL join"
		}
		if e.Kind == "crash" {
			e.Text = "crash right after the commit; the monolith restarts on the same data, nothing was in flight"
		}
		if e.Step == 0 {
			fmt.Fprintf(out, "• %s\n", e.Text)
		} else {
			fmt.Fprintf(out, "\nstep %d  %s\n", e.Step, e.Text)
		}
		for _, line := range e.Lines {
			fmt.Fprintf(out, "          %s\n", trace.ShortenUUIDs(line))
		}
		for _, c := range commits {
			txs++
			notes := c.Notes[1 : len(c.Notes)-1] // between BEGIN and COMMIT
			for i, n := range notes {
				prefix := "          │ "
				if i == 0 {
					prefix = "          ┌ "
				}
				fmt.Fprintf(out, "%s%s\n", prefix, truncateLine(trace.ShortenUUIDs(n), 86))
			}
			fmt.Fprintf(out, "          └ COMMIT (%s)\n", system.MonolithFile)
		}
		commits = nil
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nfinal state\n  monolith (%s)\n", system.MonolithFile)
	for _, ref := range sc.OrderRefs() {
		o := res.Orders[ref]
		fmt.Fprintf(out, "    %-5s %-10s %-20s %10s  customer %s  id %s\n", ref, o.State, o.RejectionReason,
			o.OrderTotal, customerRef(sc, o.CustomerID, res), shortID(o.ID))
	}
	refs := make([]string, 0, len(res.Customers))
	for ref := range res.Customers {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	for _, ref := range refs {
		c := res.Customers[ref]
		fmt.Fprintf(out, "    %-5s %-12s limit %10s  available %10s  id %s\n", ref, c.Name, c.CreditLimit, c.AvailableCredit, shortID(c.ID))
	}
	fmt.Fprintf(out, "\n%s, one commit each; no messages\n", plural(txs, "local transaction"))
	expected := len(sc.Expect.Orders) + len(sc.Expect.Customers)
	if !res.Passed() {
		fmt.Fprintf(out, "\nFAILED: %d of %d expectations not met\n", len(res.Failures), expected)
		for _, f := range res.Failures {
			fmt.Fprintf(out, "  %s\n", f)
		}
		return &exitError{"scenario failed"}
	}
	fmt.Fprintf(out, "all %d expectations met\n", expected)
	return nil
}
