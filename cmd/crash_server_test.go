package cmd_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// buildSagalab builds the sagalab binary into a temporary directory and
// returns its path.
func buildSagalab(t *testing.T) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build sagalab with")
	}
	bin := filepath.Join(t.TempDir(), "sagalab")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command(goCmd, append(args, ".")...)
	build.Dir = ".." // the module's root: package main
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// serverProcess runs `sagalab serve` as a child process on one data
// directory, start after start.
type serverProcess struct {
	t    *testing.T
	bin  string
	data string
	logs string
	args []string // more flags of serve

	starts int
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd has been reaped
	err    error         // cmd.Wait's error, set before exited is closed
	log    string        // the current process's output
	url    string
}

func newServerProcess(t *testing.T, bin string, args ...string) *serverProcess {
	s := &serverProcess{t: t, bin: bin, data: t.TempDir(), logs: t.TempDir(), args: args}
	t.Cleanup(s.kill)
	return s
}

// start starts the server, with more flags of serve, on a free loopback
// port and waits until it answers.
func (s *serverProcess) start(ctx context.Context, flags ...string) {
	s.t.Helper()
	for attempt := 1; ; attempt++ {
		err := s.try(ctx, flags)
		if err == nil {
			return
		}
		// Another process may take the free port between our look and
		// the server's listen: try another.
		if attempt < 3 && bytes.Contains(s.output(), []byte("address already in use")) {
			continue
		}
		s.t.Fatalf("start sagalab serve: %v\n%s", err, s.tail())
	}
}

func (s *serverProcess) try(ctx context.Context, flags []string) error {
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	s.starts++
	s.log = filepath.Join(s.logs, fmt.Sprintf("serve-%d.log", s.starts))
	out, err := os.Create(s.log)
	if err != nil {
		return fmt.Errorf("create the server's log: %w", err)
	}
	defer out.Close()
	args := append([]string{"serve", "--addr", addr, "--data", s.data}, s.args...)
	args = append(args, flags...)
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	s.cmd, s.exited, s.url = cmd, make(chan struct{}), "http://"+addr
	go func(exited chan struct{}) {
		s.err = cmd.Wait()
		close(exited)
	}(s.exited)
	return s.waitReady(ctx)
}

// waitReady polls the server until it answers, it exits or 30s pass.
func (s *serverProcess) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, "GET", s.url+"/views/status", nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("it exited: %v", s.err)
		case <-ctx.Done():
			s.kill()
			return fmt.Errorf("no answer from %s: %w", s.url, ctx.Err())
		case <-tick.C:
		}
	}
}

// kill sends SIGKILL to the server, if it runs, and reaps it: its data
// directory is free for the next start once kill returns.
func (s *serverProcess) kill() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill() // fails only if it has exited already
	<-s.exited
	s.cmd = nil
	s.checkLog()
}

// checkLog fails the test if the process that ran last logged an error or
// the race detector found a race in it.
func (s *serverProcess) checkLog() {
	out := s.output()
	for _, bad := range []string{"WARNING: DATA RACE", "level=ERROR"} {
		if bytes.Contains(out, []byte(bad)) {
			s.t.Errorf("sagalab serve logged %q:\n%s", bad, out)
			return
		}
	}
}

// stop asks the server to stop with SIGTERM and checks that it does, at
// once and cleanly.
func (s *serverProcess) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		s.kill()
		s.t.Fatalf("sagalab serve still runs 15s after SIGTERM\n%s", s.tail())
	}
	s.cmd = nil
	s.checkLog()
	if s.err != nil {
		s.t.Fatalf("sagalab serve stopped with %v\n%s", s.err, s.tail())
	}
}

func (s *serverProcess) output() []byte {
	b, _ := os.ReadFile(s.log)
	return b
}

// tail is the end of the current process's output, for a failure message.
func (s *serverProcess) tail() string {
	const max = 4 << 10
	b := s.output()
	if len(b) > max {
		b = append([]byte("…"), b[len(b)-max:]...)
	}
	return string(b)
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
