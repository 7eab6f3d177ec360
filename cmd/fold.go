package cmd

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// maxWidth is how wide a line of output may be.
const maxWidth = 100

// fold breaks s into lines of at most width columns: at spaces, and after
// commas so that JSON breaks too. Lines after the first start with indent.
// A word longer than a line is cut.
func fold(s string, width int, indent string) []string {
	var lines []string
	line, room := "", width
	flush := func() {
		lines = append(lines, strings.TrimRight(line, " "))
		line, room = indent, width-utf8.RuneCountInString(indent)
	}
	for _, w := range words(s) {
		n := utf8.RuneCountInString(strings.TrimRight(w, " "))
		if n > room && strings.TrimSpace(line) != "" {
			flush()
		}
		for n > room { // longer than a whole line
			r := []rune(w)
			line += string(r[:room])
			w = string(r[room:])
			n -= room
			flush()
		}
		line += w
		room -= utf8.RuneCountInString(w)
	}
	if strings.TrimSpace(line) != "" || len(lines) == 0 {
		lines = append(lines, strings.TrimRight(line, " "))
	}
	return lines
}

// words splits s after each space and each comma, keeping them.
func words(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if r == ' ' || r == ',' {
			out = append(out, s[start:i+1])
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// printFolded prints s folded to maxWidth columns, continuation lines
// indented by indent.
func printFolded(out io.Writer, s, indent string) {
	for _, l := range fold(s, maxWidth, indent) {
		fmt.Fprintln(out, l)
	}
}
