package cmd

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress draws a progress bar on a terminal, or a line per tenth of the
// work elsewhere.
type progress struct {
	out      io.Writer
	label    string
	total    int
	terminal bool
	started  time.Time

	mu       sync.Mutex
	done     int
	lastDraw time.Time
	lastTen  int
}

func newProgress(out io.Writer, label string, total int) *progress {
	return &progress{out: out, label: label, total: total, terminal: isTerminal(out), started: time.Now()}
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
	if tenth := p.done * 10 / max(p.total, 1); tenth > p.lastTen {
		p.lastTen = tenth
		fmt.Fprintf(p.out, "%s %d/%d (%d%%)\n", p.label, p.done, p.total, tenth*10)
	}
}

func (p *progress) draw() {
	p.lastDraw = time.Now()
	const width = 30
	filled := width * p.done / max(p.total, 1)
	rate := float64(p.done) / max(time.Since(p.started).Seconds(), 1e-9)
	fmt.Fprintf(p.out, "\r%-16s [%s%s] %d/%d  %.0f/s ", p.label, strings.Repeat("#", filled),
		strings.Repeat(".", width-filled), p.done, p.total, rate)
}

// finish ends the bar's line.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.terminal {
		p.draw()
		fmt.Fprintln(p.out)
	}
}
