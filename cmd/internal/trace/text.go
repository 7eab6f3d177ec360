package trace

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Width is the widest line Text draws.
const Width = 100

// TextOptions say how to draw.
type TextOptions struct {
	// Header draws the participants' names and a title first.
	Header bool
	// Color uses ANSI colours (only for a terminal, and never with NO_COLOR).
	Color bool
}

const (
	laneWidth = 32
	laneStart = 12 // column of the first lifeline
	boxWidth  = 44 // widest transaction box
)

// lane returns the column of the lifeline that shows participant (or
// consumer) p.
func lane(participants []string, p string) int {
	p = laneOf(p)
	for i, q := range participants {
		if q == p {
			return laneStart + i*laneWidth
		}
	}
	return -1
}

// Text draws steps as a swimlane sequence diagram: one column per module,
// an arrow per message, a box per local transaction, ⟲ for compensations.
func Text(w io.Writer, t Trace, steps []Step, opt TextOptions) error {
	c := colors(opt.Color)
	var out []string
	if opt.Header {
		out = append(out, c.bold(fmt.Sprintf("order %s · %s · now %s", t.OrderID, t.coordination(), t.State)), "")
		names := newCanvas(t.Participants)
		for _, p := range t.Participants {
			names.put(lane(t.Participants, p)-utf8.RuneCountInString(Names[p])/2, Names[p])
		}
		out = append(out, c.bold(names.String()), newCanvas(t.Participants).String())
	}
	for _, st := range steps {
		switch st.Kind {
		case Message:
			out = append(out, messageLines(t.Participants, st, c)...)
		case Transaction:
			out = append(out, boxLines(t.Participants, st, c)...)
		}
	}
	_, err := io.WriteString(w, strings.Join(out, "\n")+"\n")
	return err
}

func messageLines(ps []string, st Step, c palette) []string {
	from, to := lane(ps, st.From), lane(ps, st.To)
	label := st.label()
	if st.Duplicate {
		label += " (duplicate, ignored)"
	}
	if st.Pending {
		label += " (not handled yet)"
	}
	if st.Compensation {
		label = "⟲ " + label
	}
	top, line := newCanvas(ps), newCanvas(ps)
	lo, hi := min(from, to), max(from, to)
	if to < 0 || from == to {
		lo, hi = from, from+laneWidth/2
	}
	start := lo + 2
	top.put(start, truncate(label, Width-start))
	arrow := strings.Repeat("─", max(hi-lo-1, 1))
	if from <= to {
		line.put(lo+1, arrow[:len(arrow)-len("─")]+"▶")
	} else {
		line.put(lo+1, "◀"+arrow[len("─"):])
	}
	paint := c.cyan
	if st.Compensation {
		paint = c.yellow
	}
	if st.Duplicate || st.Pending {
		paint = c.dim
	}
	return []string{paint(top.String()), paint(line.String())}
}

func boxLines(ps []string, st Step, c palette) []string {
	text := st.boxText()
	if st.Compensation {
		text = "⟲ " + text
	}
	lines := wrap(text, boxWidth-4)
	if e := st.emitsText(); e != "" {
		lines = append(lines, wrap(e, boxWidth-4)...)
	}
	inner := 0
	for _, l := range lines {
		inner = max(inner, utf8.RuneCountInString(l))
	}
	center := lane(ps, st.From)
	left := max(0, min(center-inner/2-2, Width-inner-4))
	var out []string
	edge := func(l, r string) string {
		cv := newCanvas(ps)
		cv.put(left, l+strings.Repeat("─", inner+2)+r)
		return cv.String()
	}
	out = append(out, edge("┌", "┐"))
	for _, l := range lines {
		cv := newCanvas(ps)
		cv.put(left, "│ "+l+strings.Repeat(" ", inner-utf8.RuneCountInString(l))+" │")
		out = append(out, cv.String())
	}
	out = append(out, edge("└", "┘"))
	paint := c.green
	if st.Compensation {
		paint = c.yellow
	}
	for i := range out {
		out[i] = paint(out[i])
	}
	return out
}

// canvas is one line of the diagram, with the lifelines drawn.
type canvas []rune

func newCanvas(ps []string) canvas {
	cv := canvas([]rune(strings.Repeat(" ", Width)))
	for i := range ps {
		if col := laneStart + i*laneWidth; col < Width {
			cv[col] = '│'
		}
	}
	return cv
}

func (cv canvas) put(col int, s string) {
	for _, r := range s {
		if col >= 0 && col < len(cv) {
			cv[col] = r
		}
		col++
	}
}

func (cv canvas) String() string { return strings.TrimRight(string(cv), " ") }

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:max(n-1, 0)]) + "…"
}

// wrap splits s into lines of at most width runes, at spaces.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		word = truncate(word, width)
		if line != "" && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(lines, line)
}

// palette paints text with ANSI colours, or leaves it alone.
type palette struct{ on bool }

func colors(on bool) palette { return palette{on: on} }

func (p palette) paint(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p palette) bold(s string) string   { return p.paint("1", s) }
func (p palette) cyan(s string) string   { return p.paint("36", s) }
func (p palette) green(s string) string  { return p.paint("32", s) }
func (p palette) yellow(s string) string { return p.paint("33", s) }
func (p palette) dim(s string) string    { return p.paint("2", s) }
