package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"sagalab/modules/system"
	"sagalab/storage"
)

// deadLetterStore is where the dead-letter commands act: a data directory
// opened in this process, or a running server.
type deadLetterStore interface {
	list(ctx context.Context) ([]system.DeadLetterJSON, error)
	retry(ctx context.Context, consumer, id string) error
	drop(ctx context.Context, consumer, id string) error
	close() error
}

// deadLetterFlags are the flags every dead-letters command shares.
type deadLetterFlags struct {
	dataDir  string
	addr     string
	consumer string
}

func (f *deadLetterFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.dataDir, "data", "sagalab-data", "data directory, when no server runs on it")
	cmd.Flags().StringVar(&f.addr, "addr", "", "address of a running sagalab serve, such as 127.0.0.1:8080")
	cmd.Flags().StringVar(&f.consumer, "consumer", "", "only the dead letters of this module (order, customer or history)")
}

// open picks the store: the server at --addr, or --data opened the way
// mode says.
func (f *deadLetterFlags) open(cmd *cobra.Command, mode openMode) (deadLetterStore, error) {
	if f.addr != "" {
		if cmd.Flags().Changed("data") {
			return nil, errors.New("give --data (a stopped data directory) or --addr (a running server), not both")
		}
		return newRemoteDeadLetters(f.addr)
	}
	if err := system.HasData(f.dataDir); err != nil {
		return nil, err
	}
	cfg := system.Config{DataDir: f.dataDir, ManualDeadlines: true,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	switch mode {
	case openToRead:
		cfg.Inspect = true
	case openToWrite:
		cfg.HoldDelivery = true
	}
	sys, err := system.Start(cmd.Context(), cfg)
	var locked *storage.LockedError
	if errors.As(err, &locked) {
		return nil, fmt.Errorf("%w\nto act on a running server's dead letters, use --addr HOST:PORT", err)
	}
	if err != nil {
		return nil, err
	}
	return &localDeadLetters{sys: sys, deliver: mode == openToDeliver, errOut: cmd.ErrOrStderr()}, nil
}

type openMode int

const (
	openToRead    openMode = iota // read only, beside a running server
	openToWrite                   // change the tables, deliver nothing
	openToDeliver                 // run the bus, so a retried message's consequences are delivered
)

// localDeadLetters acts on a data directory opened in this process.
type localDeadLetters struct {
	sys     *system.System
	deliver bool
	errOut  io.Writer
}

func (l *localDeadLetters) list(ctx context.Context) ([]system.DeadLetterJSON, error) {
	list, err := l.sys.Bus.DeadLetters(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]system.DeadLetterJSON, 0, len(list))
	for _, dl := range list {
		out = append(out, system.DeadLetterJSONOf(dl))
	}
	return out, nil
}

func (l *localDeadLetters) retry(ctx context.Context, consumer, id string) error {
	_, err := l.sys.Bus.RetryDeadLetter(ctx, consumer, id)
	return err
}

func (l *localDeadLetters) drop(ctx context.Context, consumer, id string) error {
	_, err := l.sys.Bus.DropDeadLetter(ctx, consumer, id)
	return err
}

// settleWithin bounds how long a retry on a data directory waits for what
// the retried messages caused to be delivered before it stops sagalab.
const settleWithin = 10 * time.Second

// close stops sagalab, first letting the bus deliver what the retries
// caused (what is left is delivered at the next start).
func (l *localDeadLetters) close() error {
	if l.deliver {
		deadline := time.Now().Add(settleWithin)
		for !l.sys.Bus.Idle() && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if !l.sys.Bus.Idle() {
			fmt.Fprintf(l.errOut, "some messages are still on their way; sagalab delivers them at its next start\n")
		}
	}
	return l.sys.Close()
}

func newDeadLetters() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "dead-letters",
		Aliases: []string{"deadletters"},
		Short:   "List, retry or drop the messages a module could not handle",
		Long: `A message a module's handler still fails after its retries is parked as a dead letter
in that module's database (table dead_letters): the message, the error, the number of
attempts, when it was first and last seen. The relay stops publishing it, and a saga
that waits on it stays where it is ("sagalab saga show" says so) until its deadline
compensates it, or the message is retried once the cause is fixed.

On a stopped data directory the commands open --data themselves; while "sagalab serve"
runs, give its address with --addr ("list" may also read --data beside a server).`,
	}
	cmd.AddCommand(newDeadLettersList(), newDeadLettersRetry(), newDeadLettersDrop())
	return cmd
}

func newDeadLettersList() *cobra.Command {
	var flags deadLetterFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the dead letters of every module, oldest first",
		Example: `  sagalab dead-letters list --data ./sagalab-data
  sagalab dead-letters list --addr 127.0.0.1:8080 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := flags.open(cmd, openToRead)
			if err != nil {
				return err
			}
			list, err := store.list(cmd.Context())
			if err = errors.Join(err, store.close()); err != nil {
				return err
			}
			if flags.consumer != "" {
				list = slices.DeleteFunc(list, func(dl system.DeadLetterJSON) bool { return dl.Consumer != flags.consumer })
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(system.DeadLettersJSON{DeadLetters: list})
			}
			printDeadLetters(out, list)
			return nil
		},
	}
	flags.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON, as GET /dead-letters answers")
	return cmd
}

func newDeadLettersRetry() *cobra.Command {
	var flags deadLetterFlags
	var all bool
	cmd := &cobra.Command{
		Use:   "retry [MESSAGE_ID...]",
		Short: "Hand parked messages to their module again; each one handled is removed",
		Long: `Hand each named dead letter to its module again, through the module's usual consumer
code: the inbox still ignores a message the module has handled before. A message
handled this time is removed from the dead letters, in the same transaction; one that
fails again stays, with one more attempt and the new error. A MESSAGE_ID may be any
unique prefix of the id "list" shows; a message parked by several modules is retried
at each, unless --consumer names one.

On --data, sagalab starts on the directory, retries, waits (up to 10s) for what the
retried messages caused to be delivered, and stops; saga deadlines are left to the next
"sagalab serve".`,
		Example: `  sagalab dead-letters retry 3f2a9c1b
  sagalab dead-letters retry --all --addr 127.0.0.1:8080`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return actOnDeadLetters(cmd, &flags, args, all, openToDeliver, "retry", "handled, and removed from the dead letters",
				func(s deadLetterStore, consumer, id string) error { return s.retry(cmd.Context(), consumer, id) })
		},
	}
	flags.register(cmd)
	cmd.Flags().BoolVar(&all, "all", false, "retry every dead letter (of --consumer, if given)")
	return cmd
}

func newDeadLettersDrop() *cobra.Command {
	var flags deadLetterFlags
	var all, yes bool
	cmd := &cobra.Command{
		Use:   "drop [MESSAGE_ID...]",
		Short: "Delete dead letters for good: their module never handles them",
		Long: `Delete the named dead letters: their module never handles those messages, and a saga
that waited on one is left to its deadline. A MESSAGE_ID may be any unique prefix of
the id "list" shows. --all deletes every dead letter (of --consumer, if given) and
needs --yes.`,
		Example: `  sagalab dead-letters drop 3f2a9c1b --consumer history
  sagalab dead-letters drop --all --yes --addr 127.0.0.1:8080`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if all && !yes {
				return errors.New("drop --all deletes every dead letter for good: add --yes to confirm")
			}
			return actOnDeadLetters(cmd, &flags, args, all, openToWrite, "drop", "dropped",
				func(s deadLetterStore, consumer, id string) error { return s.drop(cmd.Context(), consumer, id) })
		},
	}
	flags.register(cmd)
	cmd.Flags().BoolVar(&all, "all", false, "drop every dead letter (of --consumer, if given); needs --yes")
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm --all")
	return cmd
}

// actOnDeadLetters runs act on each dead letter that args (or all) select,
// printing one line for each; it fails if any act failed.
func actOnDeadLetters(cmd *cobra.Command, flags *deadLetterFlags, args []string, all bool, mode openMode,
	verb, done string, act func(s deadLetterStore, consumer, id string) error) (err error) {
	switch {
	case all && len(args) > 0:
		return fmt.Errorf("give message ids or --all, not both")
	case !all && len(args) == 0:
		return fmt.Errorf("name the dead letters to %s (message ids as \"list\" shows them, or unique prefixes), or give --all", verb)
	}
	store, err := flags.open(cmd, mode)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, store.close()) }()
	list, err := store.list(cmd.Context())
	if err != nil {
		return err
	}
	chosen, err := selectDeadLetters(list, flags.consumer, args, all)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if len(chosen) == 0 {
		fmt.Fprintln(out, "no dead letters")
		return nil
	}
	failed := 0
	for _, dl := range chosen {
		what := fmt.Sprintf("%s %s %s", dl.Consumer, dl.Type, dl.MessageID)
		if err := act(store, dl.Consumer, dl.MessageID); err != nil {
			failed++
			fmt.Fprintln(out, wrapText(err.Error(), "  ", lineWidth))
			continue
		}
		fmt.Fprintf(out, "%s: %s\n", what, done)
	}
	if failed > 0 {
		return &exitError{msg: fmt.Sprintf("%s failed for %s", verb, plural(failed, "dead letter"))}
	}
	return nil
}

// selectDeadLetters returns the dead letters of consumer (all when empty)
// whose message ids start with one of prefixes, or all of them.
func selectDeadLetters(list []system.DeadLetterJSON, consumer string, prefixes []string, all bool) ([]system.DeadLetterJSON, error) {
	if consumer != "" {
		list = slices.DeleteFunc(slices.Clone(list), func(dl system.DeadLetterJSON) bool { return dl.Consumer != consumer })
	}
	if all {
		return list, nil
	}
	var out []system.DeadLetterJSON
	for _, p := range prefixes {
		var ids []string
		var match []system.DeadLetterJSON
		for _, dl := range list {
			if strings.HasPrefix(dl.MessageID, p) {
				match = append(match, dl)
				if !slices.Contains(ids, dl.MessageID) {
					ids = append(ids, dl.MessageID)
				}
			}
		}
		switch {
		case p == "" || len(match) == 0:
			where := ""
			if consumer != "" {
				where = " at " + consumer
			}
			return nil, fmt.Errorf("no dead letter %q%s (see \"sagalab dead-letters list\")", p, where)
		case len(ids) > 1:
			return nil, fmt.Errorf("%q is the start of %d message ids (%s): give more of it", p, len(ids), strings.Join(ids, ", "))
		}
		for _, dl := range match {
			if !slices.ContainsFunc(out, func(o system.DeadLetterJSON) bool {
				return o.Consumer == dl.Consumer && o.MessageID == dl.MessageID
			}) {
				out = append(out, dl)
			}
		}
	}
	return out, nil
}

// lineWidth is the width the dead-letter commands keep to.
const lineWidth = 100

func printDeadLetters(out io.Writer, list []system.DeadLetterJSON) {
	if len(list) == 0 {
		fmt.Fprintln(out, "no dead letters")
		return
	}
	fmt.Fprintln(out, plural(len(list), "dead letter"))
	for _, dl := range list {
		fmt.Fprintf(out, "\n%s could not handle %s from %s, message %s\n", dl.Consumer, dl.Type, dl.Source, dl.MessageID)
		fmt.Fprintf(out, "  correlation %s, on %s\n", dl.CorrelationID, dl.Topic)
		fmt.Fprintf(out, "  %s, first %s, last %s\n", plural(dl.Attempts, "attempt"),
			dl.FirstSeen.Format(time.DateTime), dl.LastSeen.Format(time.DateTime))
		fmt.Fprintln(out, wrapText("  error: "+dl.Error, "         ", lineWidth))
	}
}

// wrapText breaks s at spaces into lines of at most width columns (a word
// longer than that stays whole), starting every line but the first with
// indent.
func wrapText(s, indent string, width int) string {
	var b strings.Builder
	line := 0
	for i, word := range strings.Fields(s) {
		n := len([]rune(word))
		switch {
		case i == 0:
			if lead := len(s) - len(strings.TrimLeft(s, " ")); lead > 0 {
				b.WriteString(s[:lead])
				line = lead
			}
		case line+1+n > width:
			b.WriteString("\n" + indent)
			line = len(indent)
		default:
			b.WriteByte(' ')
			line++
		}
		b.WriteString(word)
		line += n
	}
	return b.String()
}
