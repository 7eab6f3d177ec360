package cmd

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress draws a progress bar on a terminal, redrawn in place with '\r'.
// Anywhere else (a file, a pipe) it writes plain lines, one per tenth of
// the work and a last one with the count reached, and never a '\r'.
type progress struct {
	out      io.Writer
	label    string
	total    int
	terminal bool
	started  time.Time

	mu       sync.Mutex
	done     int
	lastDraw time.Time
	drawn    int // width of the bar's last drawing, to blank what it leaves
	lastTen  int
	printed  int // done at the last plain line
}

func newProgress(out io.Writer, label string, total int) *progress {
	return &progress{out: out, label: label, total: total, terminal: isTerminal(out), started: time.Now(), printed: -1}
}

// add records n more units done.
func (p *progress) add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if p.terminal {
		if time.Since(p.lastDraw) > 100*time.Millisecond || p.done >= p.total {
			p.draw()
		}
		return
	}
	if p.total <= 0 {
		return // no tenths to count: finish says how far it got
	}
	if tenth := min(p.done*10/p.total, 10); tenth > p.lastTen {
		p.lastTen = tenth
		p.line()
	}
}

func (p *progress) line() {
	p.printed = p.done
	if p.total > 0 {
		fmt.Fprintf(p.out, "%s %d/%d (%d%%)\n", p.label, p.done, p.total, p.done*100/p.total)
		return
	}
	fmt.Fprintf(p.out, "%s %d\n", p.label, p.done)
}

func (p *progress) draw() {
	p.lastDraw = time.Now()
	const width = 30
	filled := min(width, width*p.done/max(p.total, 1))
	rate := float64(p.done) / max(time.Since(p.started).Seconds(), 1e-9)
	s := fmt.Sprintf("%-16s [%s%s] %d/%d  %.0f/s", p.label, strings.Repeat("#", filled),
		strings.Repeat(".", width-filled), p.done, p.total, rate)
	fmt.Fprintf(p.out, "\r%-*s", p.drawn, s)
	p.drawn = len(s)
}

// finish ends the bar's line, or writes the last plain line if the count
// reached is not written yet.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.terminal {
		p.draw()
		fmt.Fprintln(p.out)
		return
	}
	if p.printed != p.done {
		p.line()
	}
}
