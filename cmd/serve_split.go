package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"sagalab/bus/jetstream"
	"sagalab/cmd/internal/metrics"
	"sagalab/modules/system"
)

// passedOn are the serve flags a split run hands on to its modules when
// they were given.
func passedOn() []string {
	return []string{"saga", "saga-timeout", "sync", "log-level", "snapshot-every", "retention", "replicas", "ack-wait"}
}

// serveSplit starts a broker, one child process per module and, in this
// process, the gateway on addr; it restarts a child that dies and stops
// them all when ctx ends.
func serveSplit(cmd *cobra.Command, cfg system.Config, d distFlags, addr string) error {
	ctx := cmd.Context()
	out := &syncWriter{w: cmd.OutOrStdout()}
	root := cfg.DataDir
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the sagalab binary: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	defer ln.Close()
	ports, err := splitPorts(ln.Addr().(*net.TCPAddr), d.brokerAddr, cmd.Flags().Changed("broker-addr"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(root, "broker"), 0o755); err != nil {
		return fmt.Errorf("broker data directory: %w", err)
	}
	ns, err := jetstream.StartServer(jetstream.ServerConfig{Addr: ports["broker"], DataDir: filepath.Join(root, "broker")})
	if err != nil {
		return err
	}
	defer ns.Close()
	var common []string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		for _, name := range passedOn() {
			if f.Name == name {
				common = append(common, "--"+name, f.Value.String())
			}
		}
	})
	fmt.Fprintf(out, "sagalab %s split into processes; Ctrl-C stops them all\n", version)
	fmt.Fprintf(out, "  broker    %s (NATS JetStream, in this process, data %s)\n", ns.URL(), filepath.Join(root, "broker"))
	services := map[string]*url.URL{}
	var where []string
	for _, name := range system.ModuleNames() {
		services[name] = &url.URL{Scheme: "http", Host: ports[name]}
		where = append(where, name+"="+services[name].String())
	}
	var wg sync.WaitGroup
	for _, name := range system.ModuleNames() {
		u := services[name]
		args := append([]string{"serve", "--module", name, "--broker", ns.URL(), "--addr", ports[name],
			"--data", filepath.Join(root, name)}, common...)
		if name == "history" { // it rebuilds its view from the others' event logs
			args = append(args, "--services", strings.Join(where, ","))
		}
		fmt.Fprintf(out, "  %-9s %s (child process, data %s)\n", name, u, filepath.Join(root, name))
		wg.Add(1)
		go func() {
			defer wg.Done()
			supervise(ctx, out, exe, name, args, d.restart)
		}()
	}
	fmt.Fprintf(out, "  gateway   http://%s (this process, pid %d): the REST API\n", ln.Addr(), os.Getpid())
	handler := withMetrics(metrics.New(nil, cfg.Logger), system.Gateway(cfg.Logger, services))
	err = serveHTTP(ctx, out, ln, handler)
	wg.Wait()
	return err
}

// splitPorts chooses the broker's and modules' addresses: next to the
// gateway's port (8081, 8082, 8083 beside 8080), or free ones when the
// gateway's port was chosen by the system (--addr HOST:0).
func splitPorts(gw *net.TCPAddr, brokerAddr string, brokerSet bool) (map[string]string, error) {
	host := gw.IP.String()
	out := map[string]string{"broker": brokerAddr}
	if gw.Port != 0 && !isEphemeral(gw.Port) {
		for name, offset := range map[string]int{"order": 1, "customer": 2, "history": 3} {
			out[name] = net.JoinHostPort(host, strconv.Itoa(gw.Port+offset))
		}
		return out, nil
	}
	names := []string{"order", "customer", "history"}
	if !brokerSet {
		names = append(names, "broker")
	}
	for _, name := range names {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		out[name] = l.Addr().String()
		l.Close()
	}
	return out, nil
}

// isEphemeral reports whether port is in the range the system hands out
// for --addr HOST:0 (Linux's default).
func isEphemeral(port int) bool { return port >= 32768 }

// supervise runs a module's child process until ctx ends, starting it
// again when it dies: after restart, then twice as long each time it dies
// again soon (up to a minute). Its output goes to out, each line prefixed
// with the module's name.
func supervise(ctx context.Context, out io.Writer, exe, name string, args []string, restart time.Duration) {
	backoff := restart
	for {
		started := time.Now()
		c := exec.CommandContext(ctx, exe, args...)
		c.Stdout = &prefixWriter{prefix: name, w: out}
		c.Stderr = c.Stdout
		c.SysProcAttr = childAttr()
		c.Cancel = func() error { return c.Process.Signal(syscall.SIGTERM) }
		c.WaitDelay = 15 * time.Second
		err := c.Start()
		if err == nil {
			fmt.Fprintf(out, "%-9s | started, pid %d\n", name, c.Process.Pid)
			err = c.Wait()
		}
		if ctx.Err() != nil {
			return
		}
		if time.Since(started) > 10*time.Second+backoff {
			backoff = restart
		}
		fmt.Fprintf(out, "%-9s | exited (%v); restarting in %s\n", name, describeExit(err), backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = max(min(2*backoff, time.Minute), restart)
	}
}

// describeExit says how a child ended.
func describeExit(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return fmt.Sprintf("killed by signal %d, %s", int(ws.Signal()), ws.Signal())
		}
		return fmt.Sprintf("exit status %d", ee.ExitCode())
	}
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// syncWriter serialises writes from several goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// prefixWriter writes whole lines to w, each after "prefix | ".
type prefixWriter struct {
	prefix string
	w      io.Writer
	mu     sync.Mutex
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		if _, err := fmt.Fprintf(p.w, "%-9s | %s\n", p.prefix, p.buf[:i]); err != nil {
			return 0, err
		}
		p.buf = p.buf[i+1:]
	}
}
