package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"sagalab/bus"
	"sagalab/cmd/internal/classroom"
	"sagalab/cmd/internal/scenario"
	"sagalab/cmd/internal/trace"
	"sagalab/modules/system"
)

const defaultScenario = "classroom"

func newDemo(scenarios fs.FS) *cobra.Command {
	flags := systemFlags{crash: true}
	var list bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "demo [SCENARIO]",
		Short: "Run a scenario and watch its sagas cross the bus",
		Long: `Run a scenario from testdata/scenarios (default: ` + defaultScenario + `) on a fresh data directory.
Every message is printed as a consumer handles it, after the message that caused it
(from → to, command, reply or event and its type, order), then the final state of each
module. The exit status is 1 if an outcome differs from what the scenario expects.
With --data DIR the databases stay in DIR, and the last line gives the command that
traces an order of the run.

Use --list to see the scenarios, --saga to switch the saga mode, --fault to break
delivery on purpose and see that the outcome does not change.`,
		Example: `  sagalab demo
  sagalab demo insufficient-credit --saga orchestration
  sagalab demo happy-path --fault duplicate=1,redeliver=0.5`,
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
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return withTempDir(cfg, func(cfg system.Config, temporary bool) error {
				return runDemo(ctx, out, sc, cfg, temporary)
			})
		},
	}
	flags.register(cmd, "")
	cmd.Flags().BoolVar(&list, "list", false, "list the built-in scenarios and exit")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "give up if the scenario has not finished by then")
	return cmd
}

// scenarioNames completes a scenario argument.
func scenarioNames(scenarios fs.FS) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		names, _ := scenario.Names(scenarios)
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

// loadScenario loads the scenario args name (the default one when none)
// and the configuration the flags and the scenario's settings make.
func loadScenario(scenarios fs.FS, args []string, flags *systemFlags) (*scenario.Scenario, system.Config, error) {
	name := defaultScenario
	if len(args) == 1 {
		name = args[0]
	}
	sc, err := scenario.Load(scenarios, name)
	if err != nil {
		return nil, system.Config{}, err
	}
	cfg, err := flags.config()
	if err != nil {
		return nil, system.Config{}, err
	}
	cfg, err = sc.Configure(cfg)
	if err == nil && !sc.AppliesTo(cfg.Architecture) {
		err = fmt.Errorf("scenario %s shows the bus (faults, a module down, saga deadlines): "+
			"the monolith has none; run it without --arch monolith", sc.Name)
	}
	return sc, cfg, err
}

// listScenarios names the scenarios and the concepts each shows.
func listScenarios(out io.Writer, scenarios fs.FS) error {
	all, err := scenario.All(scenarios)
	if err != nil {
		return err
	}
	for _, sc := range all {
		fmt.Fprintf(out, "%-24s %s\n", sc.Name, sc.Title)
		if len(sc.Concepts) > 0 {
			fmt.Fprintf(out, "%-24s shows: %s\n", "", strings.Join(sc.Concepts, ", "))
		}
	}
	return nil
}

func runDemo(ctx context.Context, out io.Writer, sc *scenario.Scenario, cfg system.Config, temporary bool) error {
	if cfg.Architecture == system.Monolith {
		return runMonolithDemo(ctx, out, sc, cfg)
	}
	fmt.Fprintf(out, "scenario %s · %s\n  %s\n", sc.Name, modeTitle(cfg.SagaMode), sc.Title)
	for _, line := range wrap(sc.Description, 84) {
		fmt.Fprintf(out, "  %s\n", line)
	}
	where := cfg.DataDir
	if temporary {
		where += " (temporary)"
	}
	fmt.Fprintf(out, "data %s · bus %s · faults %s\n\n", where, busName(cfg), cfg.Faults)

	log := newMessageLog(out)
	cfg.Observer = log
	sess, err := classroom.NewSession(ctx, cfg, classroom.SessionOptions{Returned: log.returned})
	if err != nil {
		return err
	}
	defer sess.Close()
	res, err := sc.Run(ctx, sess, log.step)
	if err != nil {
		return err
	}
	sys := sess.System()
	log.flush()
	log.finalState(sc, res)
	if err := printViews(ctx, out, sys, sc, res); err != nil {
		return err
	}
	handled, dups := log.counts()
	fmt.Fprintf(out, "\n%s handled", plural(handled, "message"))
	if dups > 0 {
		fmt.Fprintf(out, ", %s ignored by inboxes", plural(dups, "duplicate"))
	}
	fmt.Fprintln(out)
	expected := len(sc.Expect.Orders) + len(sc.Expect.Customers)
	if res.Passed() {
		fmt.Fprintf(out, "all %d expectations met\n", expected)
	} else {
		fmt.Fprintf(out, "\nFAILED: %d of %d expectations not met\n", len(res.Failures), expected)
		for _, f := range res.Failures {
			fmt.Fprintf(out, "  %s\n", f)
		}
	}
	if !temporary {
		if err := recordNames(cfg.DataDir, sc, res); err != nil {
			return err
		}
	}
	if err := lookFurther(ctx, out, sys, sc, res, temporary); err != nil {
		return err
	}
	if !res.Passed() {
		return &exitError{"scenario failed"}
	}
	return nil
}

// lookFurther ends the demo with the commands that show more of it: a
// trace of its first order on the data directory it kept, or how to keep
// one.
func lookFurther(ctx context.Context, out io.Writer, sys *system.System, sc *scenario.Scenario, res *scenario.Result, temporary bool) error {
	refs := sc.OrderRefs()
	if len(refs) == 0 || res.IDs[refs[0]] == "" {
		return nil
	}
	ref, id := refs[0], res.IDs[refs[0]]
	if temporary {
		fmt.Fprintf(out, "\nThe temporary data directory is deleted at exit. To look further, run the demo with\n"+
			"--data DIR, then: sagalab trace %s --data DIR (also saga show, order list)\n", ref)
		return nil
	}
	// The shortest of the order's name, its short id and its id that
	// names it alone: a directory may hold several runs' o1.
	given := id
	for _, try := range []string{ref, shortID(id)} {
		got, err := sys.Resolve(ctx, system.OrderKind, try)
		var amb *system.AmbiguousError
		if err != nil && !errors.As(err, &amb) {
			return err
		}
		if got == id {
			given = try
			break
		}
	}
	dir := shellQuote(sys.DataDir())
	fmt.Fprintf(out, "\nLook further: sagalab trace %s --data %s\n", given, dir)
	fmt.Fprintf(out, "  and with the same --data: sagalab saga show %s, sagalab order list\n", given)
	return nil
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// messageLog prints scenario steps and the messages that cross the bus, each
// message after the handling that caused it: consumers run concurrently,
// and a handling's messages are published as soon as it commits, so the
// consumer of a reply may report before the consumer of the command that
// caused it does.
type messageLog struct {
	out io.Writer

	mu      sync.Mutex
	names   map[string]string // id -> scenario ref
	printed map[handling]bool // the handlings printed
	held    []bus.Delivery    // deliveries waiting for their cause, in arrival order
	handled int
	dups    int
}

// handling is a message handled by a module's consumer.
type handling struct{ message, module string }

func newMessageLog(out io.Writer) *messageLog {
	return &messageLog{out: out, names: map[string]string{}, printed: map[handling]bool{}}
}

func (l *messageLog) step(e scenario.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.Ref != "" && e.ID != "" {
		l.names[e.ID] = e.Ref
	}
	if e.Step == 0 {
		fmt.Fprintf(l.out, "• %s\n", e.Text)
		return nil
	}
	fmt.Fprintf(l.out, "\nstep %d  %s\n", e.Step, e.Text)
	for _, line := range e.Lines {
		for i, part := range wrap(trace.ShortenUUIDs(line), 86) {
			fmt.Fprintf(l.out, "%s%s\n", strings.Repeat(" ", 10+2*min(i, 1)), part)
		}
	}
	return nil
}

// returned prints a module coming back after a pause fault.
func (l *messageLog) returned(module string, down time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.out, "          %s module back after %s down (pause fault): it catches up\n", module, down)
	return nil
}

// Handled prints one delivery, once the message that caused it is printed.
func (l *messageLog) Handled(d bus.Delivery) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if d.Ignored {
		return // the consumer does not handle this type: no transaction happened
	}
	l.held = append(l.held, d)
	for l.release() {
	}
}

// release prints the first held delivery whose cause is printed, as handled
// by the module that sent the delivered message, if any.
func (l *messageLog) release() bool {
	for i, d := range l.held {
		if d.CausationID == "" || l.printed[handling{d.CausationID, d.Source}] {
			l.held = slices.Delete(l.held, i, i+1)
			l.print(d)
			return true
		}
	}
	return false
}

// flush prints the deliveries still held: their cause was handled before
// this run (or, with crash=N, by the sagalab that crashed).
func (l *messageLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range l.held {
		l.print(d)
	}
	l.held = nil
}

func (l *messageLog) print(d bus.Delivery) {
	l.printed[handling{d.ID, d.Module}] = true
	what := trace.MessageKind(d.Topic) + " " + d.Type
	if d.Duplicate {
		l.dups++
		fmt.Fprintf(l.out, "          %-8s → %-8s  %-38s %s  (duplicate, ignored)\n", d.Source, d.Consumer, what, l.name(d.CorrelationID))
		return
	}
	l.handled++
	fmt.Fprintf(l.out, "          %-8s → %-8s  %-38s %s\n", d.Source, d.Consumer, what, l.name(d.CorrelationID))
}

func (l *messageLog) name(id string) string {
	if n, ok := l.names[id]; ok {
		return n
	}
	return shortID(id)
}

func (l *messageLog) counts() (int, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.handled, l.dups
}

func (l *messageLog) finalState(sc *scenario.Scenario, res *scenario.Result) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.out, "\nfinal state\n  order module (order.db)\n")
	for _, ref := range sc.OrderRefs() {
		o := res.Orders[ref]
		fmt.Fprintf(l.out, "    %-5s %-10s %-20s %10s  customer %s  id %s\n", ref, o.State, o.RejectionReason,
			o.OrderTotal, customerRef(sc, o.CustomerID, res), shortID(o.ID))
	}
	fmt.Fprintf(l.out, "  customer module (customer.db)\n")
	refs := make([]string, 0, len(res.Customers))
	for ref := range res.Customers {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	for _, ref := range refs {
		c := res.Customers[ref]
		fmt.Fprintf(l.out, "    %-5s %-12s limit %10s  available %10s  id %s\n", ref, c.Name, c.CreditLimit, c.AvailableCredit, shortID(c.ID))
	}
}

// printViews shows each customer's document in the CQRS view.
func printViews(ctx context.Context, out io.Writer, sys *system.System, sc *scenario.Scenario, res *scenario.Result) error {
	fmt.Fprintf(out, "  history view (history.db), fed by events only\n")
	for _, c := range sc.Customers {
		d, err := sys.History.Document(ctx, res.IDs[c.Ref])
		if err != nil {
			return fmt.Errorf("view of customer %s: %w", c.Ref, err)
		}
		var orders []string
		for _, o := range d.Orders {
			ref := o.OrderID
			for r, id := range res.IDs {
				if id == o.OrderID {
					ref = r
				}
			}
			orders = append(orders, fmt.Sprintf("%s %s %s", ref, o.State, o.OrderTotal))
		}
		sort.Strings(orders)
		fmt.Fprintf(out, "    %-5s %-12s limit %10s  orders: %s\n", c.Ref, d.Name, d.CreditLimit, strings.Join(orders, ", "))
	}
	return nil
}

func customerRef(sc *scenario.Scenario, id string, res *scenario.Result) string {
	for _, c := range sc.Customers {
		if res.IDs[c.Ref] == id {
			return c.Ref
		}
	}
	return id + " (unknown)"
}

// shortID keeps the first 8 characters of a long id, enough to follow it.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// wrap splits s into lines of at most width bytes.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
