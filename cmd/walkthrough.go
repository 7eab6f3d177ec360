package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"sagalab/bus"
	"sagalab/cmd/internal/classroom"
	"sagalab/cmd/internal/scenario"
	"sagalab/cmd/internal/trace"
	"sagalab/cmd/internal/web"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/system"
)

func newWalkthrough(scenarios fs.FS) *cobra.Command {
	flags := systemFlags{crash: true}
	var opt walkOptions
	var list, webOn bool
	var addr string
	cmd := &cobra.Command{
		Use:   "walkthrough [SCENARIO]",
		Short: "Step through a scenario, one local transaction and one message at a time",
		Long: `Run a scenario step by step. Before each step sagalab says, in a sentence or two, which
idea from the slides it shows; then it performs it, draws the new part of the sequence
diagram, and shows the rows that changed in each module's database (orders, customer
credit, outbox, inbox, saga instance, view, events). On a terminal it waits for a key
after each step: Enter or space for the next one, q to quit; --auto advances by itself
every --delay; without a terminal it runs straight through. Ctrl-C stops it (status
130). It ends with a summary: each order's outcome, the local transactions and
messages, and the concepts shown.

Messages are delivered by the walkthrough itself, one at a time, through the same
consumer code as always (inbox, local transaction, acknowledgement). Ids are short and
sequential (customers c1…, orders o1…, messages m1…); with --seed the clock and the
fault choices are fixed too, so the output is the same on every run.

With --web the walkthrough is served as a page on --addr instead: the same steps, with
Back and Next buttons (and the arrow keys, Enter and space); the page waits for Next as
the terminal waits for a key, and stays up after the last step until Ctrl-C.`,
		Example: `  sagalab walkthrough --list
  sagalab walkthrough happy-path --saga orchestration
  sagalab walkthrough duplicate-delivery --auto --delay 2s
  sagalab walkthrough happy-path --fault duplicate=1 --seed 7
  sagalab walkthrough insufficient-credit --web --saga orchestration`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: scenarioNames(scenarios),
		RunE: func(cmd *cobra.Command, args []string) error {
			defer flags.broker.close()
			out := cmd.OutOrStdout()
			if list {
				return listScenarios(out, scenarios)
			}
			sc, cfg, err := loadScenario(scenarios, args, &flags)
			if err != nil {
				return err
			}
			if err := refuseUsedDir(cfg.DataDir); err != nil {
				return err
			}
			if webOn {
				return walkWeb(cmd, sc, cfg, opt, addr)
			}
			if !opt.auto && isTerminal(out) {
				opt.keys = newKeyboard(cmd.InOrStdin())
			}
			if !isTerminal(out) {
				opt.delay = 0
			}
			opt.color = colorful(out)
			return withTempDir(cfg, func(cfg system.Config, temporary bool) error {
				opt.recordNames = !temporary
				err := walkthrough(cmd.Context(), out, sc, cfg, opt)
				if errors.Is(err, errQuit) {
					fmt.Fprintln(out, "stopped.")
					return nil
				}
				return err
			})
		},
	}
	flags.register(cmd, "")
	f := cmd.Flags()
	f.BoolVar(&list, "list", false, "list the scenarios with the concepts each shows")
	f.BoolVar(&opt.auto, "auto", false, "advance by itself instead of waiting for a key")
	f.DurationVar(&opt.delay, "delay", time.Second, "pause between steps with --auto")
	f.Uint64Var(&opt.seed, "seed", 0, "fix the clock and fault choices: the same output on every run")
	f.BoolVar(&webOn, "web", false, "step through it in a browser: serve the walkthrough page on --addr")
	f.StringVar(&addr, "addr", "127.0.0.1:8080", "address the --web page is served on")
	return cmd
}

type walkOptions struct {
	auto, color bool
	web         *web.Walk // the steps go to a browser, which says when to go on
	recordNames bool      // record the scenario's names in the data directory
	delay       time.Duration
	seed        uint64
	keys        *keyboard // waits for a key after each step; nil: no waiting
}

var errQuit = errors.New("quit")

// walker prints a walkthrough as it goes.
type walker struct {
	out   io.Writer
	opt   walkOptions
	sc    *scenario.Scenario
	mode  ordercontract.SagaMode
	modes map[string]ordercontract.SagaMode // each order's mode, by order id
	sess  *classroom.Session
	clock *classroom.Clock
	rows  classroom.Rows
	step  int
	txs   int
	msgs  int
}

// walkthrough runs sc step by step; cfg carries the scenario's settings
// (scenario.Configure).
func walkthrough(ctx context.Context, out io.Writer, sc *scenario.Scenario, cfg system.Config, opt walkOptions) error {
	if cfg.Architecture == system.Monolith {
		return walkMonolith(ctx, out, sc, cfg, opt)
	}
	start := time.Now().UTC().Truncate(time.Second)
	if opt.seed != 0 {
		start = testStart
		cfg.Faults.Seed = opt.seed
	}
	cfg.IDs = classroom.SequentialIDs()
	w := &walker{out: out, opt: opt, sc: sc, mode: cfg.SagaMode,
		modes: map[string]ordercontract.SagaMode{}, clock: classroom.NewClock(start)}
	fmt.Fprintf(out, "walkthrough %s · %s\n  %s\n", sc.Name, modeTitle(cfg.SagaMode), sc.Title)
	for _, l := range wrap(sc.Description, 96) {
		fmt.Fprintln(out, "  "+l)
	}
	if len(sc.Concepts) > 0 {
		fmt.Fprintf(out, "  shows: %s\n", strings.Join(sc.Concepts, ", "))
	}
	if cfg.Faults.Any() || len(cfg.Faults.Pauses) > 0 {
		fmt.Fprintf(out, "  faults: %s\n", cfg.Faults)
	}
	sess, err := classroom.NewSession(ctx, cfg, classroom.SessionOptions{Clock: w.clock,
		Step:     func(st bus.Stepped) error { return w.delivered(ctx, st) },
		Returned: func(module string, down time.Duration) error { return w.returned(ctx, module, down) }})
	if err != nil {
		return err
	}
	defer sess.Close()
	w.sess = sess
	if w.rows, err = classroom.ReadRows(ctx, sess.System()); err != nil {
		return err
	}
	res, err := sc.Run(ctx, sess, func(e scenario.Event) error { return w.action(ctx, e) })
	if err != nil {
		return err
	}
	if opt.recordNames {
		if err := recordNames(cfg.DataDir, sc, res); err != nil {
			return err
		}
	}
	w.summary(res)
	if !res.Passed() {
		return &exitError{"scenario failed"}
	}
	return nil
}

// action shows a step the scenario took.
func (w *walker) action(ctx context.Context, e scenario.Event) error {
	written, err := w.newOutboxRows()
	if err != nil {
		return err
	}
	if e.Kind == "order" && e.Mode != "" {
		w.modes[e.ID] = e.Mode
	}
	return w.show(ctx, explainAction(e, w.modeOf(e.ID)), e.Say, e.Text, func(t trace.Trace) []trace.Step {
		return trace.Initiating(written)
	}, e.Lines)
}

// modeOf returns how order id is coordinated: the mode it was created in,
// or the walkthrough's for anything else.
func (w *walker) modeOf(id string) ordercontract.SagaMode {
	if m, ok := w.modes[id]; ok {
		return m
	}
	return w.mode
}

// returned shows a module coming back after a pause fault.
func (w *walker) returned(ctx context.Context, module string, down time.Duration) error {
	return w.action(ctx, scenario.Event{Kind: "resume", Ref: module,
		Text: fmt.Sprintf("the %s module is back after %s down (pause fault): its consumers catch up", module, down)})
}

// delivered shows one message the session handed out.
func (w *walker) delivered(ctx context.Context, st bus.Stepped) error {
	w.msgs++
	text := fmt.Sprintf("%s delivers %s (%s)", st.Source, st.Type, st.ID)
	return w.show(ctx, explainDelivery(st, w.modeOf(st.CorrelationID)), "", text, func(t trace.Trace) []trace.Step {
		var steps []trace.Step
		for _, d := range st.Deliveries {
			if d.Ignored {
				continue
			}
			steps = append(steps, trace.Step{Kind: trace.Message, From: st.Source, To: d.Consumer, Type: st.Type,
				Topic: st.Topic, Summary: trace.Summarize(st.Payload), Duplicate: d.Duplicate,
				Compensation: trace.IsCompensation(st.Type)})
			effect := d.Effect
			if d.Duplicate {
				effect = "duplicate: already in the inbox, nothing changes"
			} else {
				w.txs++
			}
			steps = append(steps, trace.Step{Kind: trace.Transaction, From: d.Consumer, Effect: effect,
				Compensation: trace.IsCompensation(st.Type) && !d.Duplicate})
		}
		for _, c := range st.Waiting {
			steps = append(steps, trace.Step{Kind: trace.Message, From: st.Source, To: c, Type: st.Type,
				Topic: st.Topic, Summary: trace.Summarize(st.Payload), Pending: true})
		}
		return steps
	}, nil)
}

// show prints one step: what it shows, what happened, the new part of the
// diagram and the rows that changed; then waits for the reader.
func (w *walker) show(ctx context.Context, explain, say, what string, diagram func(trace.Trace) []trace.Step, lines []string) error {
	w.step++
	w.clock.Advance(10 * time.Millisecond)
	c := palette(w.opt.color)
	head := fmt.Sprintf("── step %d · %s ", w.step, w.clock.Now().Format("15:04:05.000"))
	fmt.Fprintf(w.out, "\n%s\n", c("1", head+strings.Repeat("─", max(0, 72-len([]rune(head))))))
	for _, l := range wrap(explain, 96) {
		fmt.Fprintln(w.out, l)
	}
	if say != "" {
		for _, l := range wrap(say, 96) {
			fmt.Fprintln(w.out, l)
		}
	}
	fmt.Fprintln(w.out, c("2", "▸ "+what))
	for _, l := range lines {
		for i, part := range wrap(l, 92) {
			indent := "    "
			if i > 0 {
				indent = "        "
			}
			fmt.Fprintln(w.out, indent+part)
		}
	}
	t := trace.Trace{Participants: system.Participants}
	steps := diagram(t)
	if len(steps) > 0 {
		if err := trace.Text(w.out, t, steps, trace.TextOptions{Color: w.opt.color}); err != nil {
			return err
		}
	}
	changes, err := w.changedRows()
	if err != nil {
		return err
	}
	if w.opt.web != nil {
		w.opt.web.Add(web.WalkStep{N: w.step, At: w.clock.Now().Format("15:04:05.000"), Explain: explain, Say: say,
			What: what, Lines: lines, Diagram: steps, Rows: changes})
	}
	return w.pause(ctx)
}

// newOutboxRows returns the outbox rows written since the last step, module
// by module in the order written: what initiating transactions sent.
func (w *walker) newOutboxRows() ([]bus.Traffic, error) {
	ctx := context.Background()
	rows, err := classroom.ReadRows(ctx, w.sess.System())
	if err != nil {
		return nil, err
	}
	var out []bus.Traffic
	for _, module := range system.Participants {
		name := module + ".db outbox"
		var keys []string
		for k := range rows[name] {
			if _, old := w.rows[name][k]; !old {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys) // zero-padded sequence numbers
		for _, k := range keys {
			r, err := classroom.OutboxRow(ctx, w.sess.System(), module, k)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// changedRows prints the rows that changed since the last step, and
// returns them.
func (w *walker) changedRows() ([]web.RowChange, error) {
	now, err := classroom.ReadRows(context.Background(), w.sess.System())
	if err != nil {
		return nil, err
	}
	changes := diffRows(classroom.TableNames(), w.rows, now)
	var lines []string
	for _, c := range changes {
		lines = append(lines, fmt.Sprintf("  %-28s %s %s", c.Table, c.Change, c.Row))
	}
	w.rows = now
	if len(lines) > 0 {
		fmt.Fprintln(w.out, "rows changed:")
		for _, l := range lines {
			fmt.Fprintln(w.out, truncateLine(l, 100))
		}
	}
	return changes, nil
}

// pause waits for the reader: for a key on a terminal, for --delay with
// --auto.
func (w *walker) pause(ctx context.Context) error {
	switch {
	case w.opt.web != nil:
		return w.opt.web.Next(ctx)
	case w.opt.keys != nil:
		fmt.Fprint(w.out, palette(w.opt.color)("2", "[Enter or space: next step · q: quit] "))
		k, err := w.opt.keys.next(ctx)
		fmt.Fprint(w.out, "\r\x1b[K") // the prompt goes; the steps stay on screen
		switch {
		case err != nil:
			return err
		case k == keyQuit:
			return errQuit
		case k == keyInterrupt:
			return &signalled{sig: syscall.SIGINT}
		}
	case w.opt.auto && w.opt.delay > 0:
		t := time.NewTimer(w.opt.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}

func (w *walker) summary(res *scenario.Result) {
	fmt.Fprintf(w.out, "\n── summary %s\n", strings.Repeat("─", 61))
	lines := w.summaryLines(res)
	for _, l := range lines {
		fmt.Fprintln(w.out, "  "+l)
	}
	if w.opt.web != nil {
		w.opt.web.Finish(lines)
	}
}

func (w *walker) summaryLines(res *scenario.Result) []string {
	var out []string
	for _, ref := range w.sc.OrderRefs() {
		o := res.Orders[ref]
		outcome := string(o.State)
		if o.RejectionReason != "" {
			outcome += " (" + o.RejectionReason + ")"
		}
		out = append(out, fmt.Sprintf("order %-4s %-7s %s", ref, o.OrderTotal, outcome))
	}
	for _, c := range w.sc.Customers {
		got := res.Customers[c.Ref]
		out = append(out, fmt.Sprintf("customer %s: %s of %s available", c.Ref, got.AvailableCredit, got.CreditLimit))
	}
	out = append(out, fmt.Sprintf("%d steps: %d messages delivered, %d local transactions caused by them", w.step, w.msgs, w.txs))
	if len(w.sc.Concepts) > 0 {
		out = append(out, "concepts shown: "+strings.Join(w.sc.Concepts, ", "))
	}
	if res.Passed() {
		return append(out, "every expected outcome was met")
	}
	for _, f := range res.Failures {
		out = append(out, "FAILED: "+f)
	}
	return out
}

// refuseUsedDir refuses a data directory that holds sagalab data already:
// the walkthrough's ids start at 1 (c1, o1, m1…) and would collide with
// the ones there. Going on from the ids there instead would break the
// walkthrough's promises: o1 of the scenario is order o1, and --seed gives
// the same output every time.
func refuseUsedDir(dir string) error {
	if dir == "" {
		return nil
	}
	for _, name := range append(system.Files(), system.MonolithFile) {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return fmt.Errorf("--data %s already holds sagalab data (%s)\n"+
				"the walkthrough numbers its ids from 1 (c1, o1…): give it a new or empty directory", dir, name)
		}
	}
	return nil
}

func palette(on bool) func(code, s string) string {
	return func(code, s string) string {
		if !on {
			return s
		}
		return "\x1b[" + code + "m" + s + "\x1b[0m"
	}
}

func truncateLine(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// testStart is the clock's start with --seed.
var testStart = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
