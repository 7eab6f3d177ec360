package trace

import (
	"fmt"
	"io"
	"strings"
)

// Mermaid writes t as a Mermaid sequenceDiagram, which renders on GitHub and
// in most slide tools.
func Mermaid(w io.Writer, t Trace) error {
	var b strings.Builder
	b.WriteString("sequenceDiagram\n")
	fmt.Fprintf(&b, "    title Order %s: %s, %s\n", mermaidText(t.OrderID), t.coordination(), t.State)
	for _, p := range t.Participants {
		fmt.Fprintf(&b, "    participant %s as %s\n", p, Names[p])
	}
	for _, st := range t.Steps {
		switch st.Kind {
		case Transaction:
			text := "local transaction: " + st.boxText()
			if st.Compensation {
				text = "compensation: " + st.boxText()
			}
			if e := st.emitsText(); e != "" {
				text += " (" + e + ")"
			}
			fmt.Fprintf(&b, "    Note over %s: %s\n", laneOf(st.From), mermaidText(text))
		case Message:
			arrow := "->>"
			if st.Pending {
				arrow = "-x"
			}
			label := st.label()
			if st.Duplicate {
				label += " duplicate, ignored"
			}
			if st.Compensation {
				label = "⟲ " + label
			}
			fmt.Fprintf(&b, "    %s%s%s: %s\n", laneOf(st.From), arrow, laneOf(st.To), mermaidText(label))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mermaidText keeps text on one statement: Mermaid ends statements at ";"
// and a new line, and reads "#" as the start of an entity.
func mermaidText(s string) string {
	return strings.NewReplacer(";", ",", "\n", " ", "#", "no.").Replace(s)
}
