package cmd

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"sagalab/cmd/internal/trace"
	"sagalab/modules/system"
)

func newTrace() *cobra.Command {
	var dataDir, format string
	cmd := &cobra.Command{
		Use:   "trace ORDER",
		Short: "Draw an order's messages and local transactions as a sequence diagram",
		Long: `Draw what crossed the bus for an order, and the local transaction each message caused
in each module, from the modules' outboxes and inboxes:

  --format text      a swimlane diagram for the terminal: a column per module, arrows for
                     messages, boxes for local transactions, ⟲ for compensations
  --format mermaid   a Mermaid sequenceDiagram, which renders on GitHub and in slides
  --format json      the steps, for tools

` + idHelp,
		Example: `  sagalab trace 3f2a9c1b --data ./sagalab-data
  sagalab trace o1 --data ./demo-data --format mermaid > saga.mmd`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "mermaid" && format != "json" {
				return fmt.Errorf("--format must be text, mermaid or json, not %q", format)
			}
			return inspect(cmd.Context(), dataDir, func(sys *system.System) error {
				id, err := resolve(cmd.Context(), sys, system.OrderKind, args[0])
				if err != nil {
					return err
				}
				t, err := trace.Of(cmd.Context(), sys, id)
				if err != nil {
					return err
				}
				return writeTrace(cmd.OutOrStdout(), t, format)
			})
		},
	}
	cmd.Flags().StringVar(&dataDir, "data", "sagalab-data", "data directory to read")
	cmd.Flags().StringVar(&format, "format", "text", "text, mermaid or json")
	return cmd
}

func writeTrace(out io.Writer, t trace.Trace, format string) error {
	switch format {
	case "json":
		return trace.JSON(out, t)
	case "mermaid":
		return trace.Mermaid(out, trace.Shorten(t))
	}
	t = trace.Shorten(t)
	return trace.Text(out, t, t.Steps, trace.TextOptions{Header: true, Color: colorful(out)})
}

// colorful reports whether out is a terminal that wants colours: never with
// NO_COLOR set.
func colorful(out io.Writer) bool {
	if _, set := os.LookupEnv("NO_COLOR"); set {
		return false
	}
	return isTerminal(out)
}

// isTerminal reports whether f is a terminal (not merely a character
// device such as /dev/null).
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}
