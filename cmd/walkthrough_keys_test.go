//go:build linux

package cmd

import (
	"bytes"
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// The walkthrough's keys, through the real binary on a pseudo-terminal: a
// single key acts at once, Ctrl-C stops with status 130 and one line, the
// terminal is left as it was found; without a terminal it runs through.
func TestWalkthroughKeys(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to build sagalab with")
	}
	bin := filepath.Join(t.TempDir(), "sagalab")
	if out, err := exec.Command("go", "build", "-o", bin, "sagalab").CombinedOutput(); err != nil {
		t.Fatalf("build sagalab: %v\n%s", err, out)
	}
	t.Run("q quits at once", func(t *testing.T) {
		t.Parallel()
		r := startOnTerminal(t, bin, "walkthrough", "happy-path")
		r.atPrompt(t, 1)
		r.send(t, "\r") // Enter and space advance
		r.atPrompt(t, 2)
		r.send(t, " ")
		r.atPrompt(t, 3)
		if strings.Contains(r.output(), "step 4") {
			t.Fatalf("went on without a key:\n%s", r.output())
		}
		r.send(t, "q") // no Enter
		if code := r.exit(t); code != 0 {
			t.Errorf("exit status %d after q, want 0", code)
		}
		r.waitFor(t, "stopped.")
		if strings.Contains(r.output(), "step 4") {
			t.Errorf("went on after q:\n%s", r.output())
		}
		r.restored(t)
	})

	t.Run("Ctrl-C at the prompt", func(t *testing.T) {
		t.Parallel()
		r := startOnTerminal(t, bin, "walkthrough", "happy-path")
		r.atPrompt(t, 1)
		r.send(t, "\x03")
		if code := r.exit(t); code != 130 {
			t.Errorf("exit status %d after Ctrl-C, want 130", code)
		}
		r.oneLine(t, "sagalab: interrupted")
		r.restored(t)
	})

	t.Run("Ctrl-C with --auto", func(t *testing.T) {
		t.Parallel()
		r := startOnTerminal(t, bin, "walkthrough", "happy-path", "--auto", "--delay", "10s")
		r.waitFor(t, "rows changed") // step 1 shown; the delay runs
		r.send(t, "\x03")            // the terminal sends SIGINT
		if code := r.exit(t); code != 130 {
			t.Errorf("exit status %d after Ctrl-C, want 130", code)
		}
		r.oneLine(t, "sagalab: interrupted")
		r.restored(t)
	})

	t.Run("/dev/null is not a terminal", func(t *testing.T) {
		t.Parallel()
		null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer null.Close()
		data := t.TempDir()
		cmd := exec.Command(bin, "walkthrough", "happy-path", "--data", data)
		var stderr bytes.Buffer
		cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("walkthrough </dev/null >/dev/null: %v\n%s", err, stderr.String())
		}
		db, err := sql.Open("sqlite3", "file:"+filepath.Join(data, "order.db")+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var state string
		if err := db.QueryRow(`SELECT state FROM orders`).Scan(&state); err != nil || state != "APPROVED" {
			t.Fatalf("order %q (%v): the walkthrough did not run to the end", state, err)
		}
	})
}

// onTerminal is sagalab running on a pseudo-terminal.
type onTerminal struct {
	cmd    *exec.Cmd
	ptmx   *os.File // the terminal's side
	tty    *os.File // sagalab's side, kept open to read its settings
	before unix.Termios
	done   chan struct{}

	mu  sync.Mutex
	out bytes.Buffer
}

func startOnTerminal(t *testing.T, bin string, args ...string) *onTerminal {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 50, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	r := &onTerminal{ptmx: ptmx, tty: tty, done: make(chan struct{})}
	r.before = r.termios(t)
	r.cmd = exec.Command(bin, args...)
	r.cmd.Stdin, r.cmd.Stdout, r.cmd.Stderr = tty, tty, tty
	r.cmd.Env = append(os.Environ(), "NO_COLOR=1")
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true} // its controlling terminal
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(r.done)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			r.mu.Lock()
			r.out.Write(buf[:n])
			r.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			r.cmd.Process.Kill()
			r.cmd.Wait()
		}
		tty.Close()
		ptmx.Close()
		<-r.done
	})
	return r
}

func (r *onTerminal) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// waitFor waits until the output holds s.
func (r *onTerminal) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(r.output(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the output:\n%s", s, r.output())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// prompt is what the walkthrough asks after each step.
const prompt = "[Enter or space: next step · q: quit]"

// atPrompt waits for the n-th prompt, and for the terminal to read single
// keys without echo.
func (r *onTerminal) atPrompt(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for strings.Count(r.output(), prompt) < n || r.termios(t).Lflag&(unix.ICANON|unix.ECHO) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no prompt %d reading single keys (lflag %#x); output:\n%s", n, r.termios(t).Lflag, r.output())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *onTerminal) send(t *testing.T, keys string) {
	t.Helper()
	if _, err := r.ptmx.Write([]byte(keys)); err != nil {
		t.Fatal(err)
	}
}

// exit waits for sagalab to end on its own and returns its status.
func (r *onTerminal) exit(t *testing.T) int {
	t.Helper()
	ended := make(chan error, 1)
	go func() { ended <- r.cmd.Wait() }()
	select {
	case err := <-ended:
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
		return r.cmd.ProcessState.ExitCode()
	case <-time.After(10 * time.Second):
		r.cmd.Process.Kill()
		<-ended
		t.Fatalf("sagalab did not stop; output:\n%s", r.output())
		return 0
	}
}

func (r *onTerminal) termios(t *testing.T) unix.Termios {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(r.tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return *tio
}

// restored checks that the terminal is set as before sagalab started.
func (r *onTerminal) restored(t *testing.T) {
	t.Helper()
	after := r.termios(t)
	if after.Iflag != r.before.Iflag || after.Oflag != r.before.Oflag || after.Lflag != r.before.Lflag ||
		after.Cflag != r.before.Cflag || after.Cc != r.before.Cc {
		t.Errorf("terminal not restored: before %+v, after %+v", r.before, after)
	}
}

// oneLine checks that the output ends with line, on a line of its own, and
// has no error besides.
func (r *onTerminal) oneLine(t *testing.T, line string) {
	t.Helper()
	r.waitFor(t, line)
	out := r.output()
	lines := strings.Split(strings.TrimRight(out, "\r\n"), "\n")
	last := lines[len(lines)-1]
	if i := strings.LastIndex(last, "\x1b[K"); i >= 0 {
		last = last[i+len("\x1b[K"):] // what a terminal shows
	}
	if strings.TrimRight(last, "\r") != line {
		t.Errorf("last line %q, want %q", last, line)
	}
	if strings.Count(out, "sagalab:") != 1 || strings.Contains(out, "context canceled") {
		t.Errorf("more than one line about the stop:\n%s", out)
	}
}
