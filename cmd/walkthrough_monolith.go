package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"sagalab/cmd/internal/classroom"
	"sagalab/cmd/internal/scenario"
	"sagalab/cmd/internal/trace"
	"sagalab/cmd/internal/web"
	"sagalab/modules/system"
)

// monolithLane is the one lane of the monolith's diagram.
const monolithLane = string(system.Monolith)

// monolithWalker prints a walkthrough of a scenario on the monolith: each
// step, the one transaction it committed, and the rows of store.db that
// changed; with opt.web it also hands each step to the page.
type monolithWalker struct {
	out     io.Writer
	opt     walkOptions
	sess    *classroom.MonolithSession
	clock   *classroom.Clock
	rows    map[string]map[string]string
	commits []system.MonolithCommit // committed since the last step shown
	step    int
	txs     int
}

// walkMonolith runs sc on the monolith step by step.
func walkMonolith(ctx context.Context, out io.Writer, sc *scenario.Scenario, cfg system.Config, opt walkOptions) error {
	start := time.Now().UTC().Truncate(time.Second)
	if opt.seed != 0 {
		start = testStart
	}
	cfg.IDs = classroom.SequentialIDs()
	w := &monolithWalker{out: out, opt: opt, clock: classroom.NewClock(start)}
	fmt.Fprintf(out, "walkthrough %s · monolith (one database, no saga)\n  %s\n", sc.Name, sc.Title)
	for _, l := range wrap(sc.Description, 96) {
		fmt.Fprintln(out, "  "+l)
	}
	if len(sc.Concepts) > 0 {
		fmt.Fprintf(out, "  shows: %s\n", strings.Join(sc.Concepts, ", "))
	}
	sess, err := classroom.NewMonolithSession(ctx, cfg, func(c system.MonolithCommit) { w.commits = append(w.commits, c) }, w.clock)
	if err != nil {
		return err
	}
	defer sess.Close()
	w.sess = sess
	if w.rows, err = sess.System().Rows(ctx); err != nil {
		return err
	}
	res, err := sc.Run(ctx, sess, func(e scenario.Event) error { return w.show(ctx, e) })
	if err != nil {
		return err
	}
	if opt.recordNames {
		if err := recordNames(cfg.DataDir, sc, res); err != nil {
			return err
		}
	}
	w.summary(sc, res)
	if !res.Passed() {
		return &exitError{"scenario failed"}
	}
	return nil
}

// explainMonolith says which idea of the slides a step on the monolith
// shows.
func explainMonolith(e scenario.Event) string {
	switch e.Kind {
	case "customer":
		return "One local transaction inserts " + e.Ref + " into the customers table of the one database."
	case "order":
		return "Create Order is one ACID transaction: read the customer, check the credit, insert the order " +
			"APPROVED or REJECTED, update the reservation, commit. Atomic: all or nothing. Isolated: no other " +
			"order sees the credit half-used. No PENDING state, no message, no saga."
	case "cancel":
		return "Cancel is one transaction too: the order becomes CANCELLED and its credit is released together. " +
			"Nothing to compensate: had anything failed, the whole transaction would have rolled back."
	case "crash":
		return "The process stopped right after the commit and starts again on the same data: what was " +
			"committed is there (durability), and nothing was in flight."
	case "compare":
		return "A query across customers and orders is one SQL join on one database: current when it answers, " +
			"no API composition and no view to keep up to date."
	case "events":
		return "The monolith keeps state, not events."
	}
	return ""
}

func (w *monolithWalker) show(ctx context.Context, e scenario.Event) error {
	w.step++
	w.clock.Advance(10 * time.Millisecond)
	c := palette(w.opt.color)
	head := fmt.Sprintf("── step %d · %s ", w.step, w.clock.Now().Format("15:04:05.000"))
	fmt.Fprintf(w.out, "\n%s\n", c("1", head+strings.Repeat("─", max(0, 72-len([]rune(head))))))
	for _, s := range []string{explainMonolith(e), e.Say} {
		for _, l := range wrap(s, 96) {
			fmt.Fprintln(w.out, l)
		}
	}
	if e.Kind == "compare" {
		e.Text = "customer " + e.Ref + "'s order history, one SQL join"
	}
	if e.Kind == "crash" {
		e.Text = "crash right after the commit; the monolith restarts on the same data, nothing was in flight"
	}
	fmt.Fprintln(w.out, c("2", "▸ "+e.Text))
	for _, l := range e.Lines {
		for i, part := range wrap(l, 92) {
			fmt.Fprintln(w.out, strings.Repeat(" ", 4+4*min(i, 1))+part)
		}
	}
	var diagram []trace.Step
	for _, tx := range w.commits {
		w.txs++
		fmt.Fprintf(w.out, "one transaction on %s:\n", system.MonolithFile)
		for _, n := range tx.Notes {
			fmt.Fprintln(w.out, truncateLine("    "+n, 100))
		}
		diagram = append(diagram, trace.Step{Kind: trace.Transaction, From: monolithLane,
			Effect: commitTitle(tx), Statements: tx.Notes})
	}
	w.commits = nil
	changes, err := w.changedRows(ctx)
	if err != nil {
		return err
	}
	if w.opt.web != nil {
		w.opt.web.Add(web.WalkStep{N: w.step, At: w.clock.Now().Format("15:04:05.000"), Explain: explainMonolith(e),
			Say: e.Say, What: e.Text, Lines: e.Lines, Diagram: diagram, Rows: changes})
	}
	return (&walker{out: w.out, opt: w.opt}).pause(ctx)
}

// commitTitle heads a transaction's box in the diagram: what the one
// transaction did, next to what a saga needs for the same.
func commitTitle(c system.MonolithCommit) string {
	switch c.Kind {
	case "order":
		return "order " + c.ID + ": one ACID transaction (a saga needs 3 local transactions and 2 messages)"
	case "cancel":
		return "cancel " + c.ID + ": one ACID transaction (a saga needs 2 local transactions and a message)"
	}
	return c.Kind + " " + c.ID + ": one local transaction"
}

// changedRows prints the rows of store.db that changed since the last
// step, and returns them.
func (w *monolithWalker) changedRows(ctx context.Context) ([]web.RowChange, error) {
	now, err := w.sess.System().Rows(ctx)
	if err != nil {
		return nil, err
	}
	changes := diffRows(system.MonolithTables(), w.rows, now)
	w.rows = now
	if len(changes) > 0 {
		fmt.Fprintln(w.out, "rows changed:")
		for _, c := range changes {
			fmt.Fprintln(w.out, truncateLine(fmt.Sprintf("  %-20s %s %s", c.Table, c.Change, c.Row), 100))
		}
	}
	return changes, nil
}

func (w *monolithWalker) summary(sc *scenario.Scenario, res *scenario.Result) {
	fmt.Fprintf(w.out, "\n── summary %s\n", strings.Repeat("─", 61))
	var lines []string
	for _, ref := range sc.OrderRefs() {
		o := res.Orders[ref]
		outcome := string(o.State)
		if o.RejectionReason != "" {
			outcome += " (" + o.RejectionReason + ")"
		}
		lines = append(lines, fmt.Sprintf("order %-4s %-7s %s", ref, o.OrderTotal, outcome))
	}
	for _, c := range sc.Customers {
		got := res.Customers[c.Ref]
		lines = append(lines, fmt.Sprintf("customer %s: %s of %s available", c.Ref, got.AvailableCredit, got.CreditLimit))
	}
	lines = append(lines, fmt.Sprintf("%d steps: %d local transactions, one commit each, no messages", w.step, w.txs))
	if len(sc.Concepts) > 0 {
		lines = append(lines, "concepts shown: "+strings.Join(sc.Concepts, ", "))
	}
	if res.Passed() {
		lines = append(lines, "every expected outcome was met")
	}
	for _, f := range res.Failures {
		lines = append(lines, "FAILED: "+f)
	}
	for _, l := range lines {
		fmt.Fprintln(w.out, "  "+l)
	}
	if w.opt.web != nil {
		w.opt.web.Finish(lines)
	}
}
