package cmd

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"sagalab/bus"
	"sagalab/bus/jetstream"
	"sagalab/modules/system"
)

func newBroker() *cobra.Command {
	var cfg jetstream.ServerConfig
	var routes string
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "Run a NATS JetStream broker for modules in separate processes",
		Long: `Run an embedded NATS server with JetStream: the broker that "sagalab serve --module"
processes publish to and consume from. Messages are kept in files under --data, so a
broker restart loses nothing.

With --cluster-name, --cluster-addr and --routes it joins other brokers: three of them
keep every message three times (start the modules with --replicas 3), and the cluster
goes on when one is down. A new cluster elects a leader first (a few seconds): the
modules wait for it.`,
		Example: `  sagalab broker
  sagalab broker --addr 127.0.0.1:4222 --data /tmp/broker

  # a 3-node cluster on one machine
  sagalab broker --addr 127.0.0.1:4222 --data /tmp/b1 --cluster-name lab \
    --cluster-addr 127.0.0.1:6222 --routes nats://127.0.0.1:6223,nats://127.0.0.1:6224
  sagalab broker --addr 127.0.0.1:4223 --data /tmp/b2 --cluster-name lab \
    --cluster-addr 127.0.0.1:6223 --routes nats://127.0.0.1:6222,nats://127.0.0.1:6224
  sagalab broker --addr 127.0.0.1:4224 --data /tmp/b3 --cluster-name lab \
    --cluster-addr 127.0.0.1:6224 --routes nats://127.0.0.1:6222,nats://127.0.0.1:6223`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if routes != "" {
				cfg.Routes = strings.Split(routes, ",")
			}
			if err := checkBrokerFlags(cfg); err != nil {
				return err
			}
			if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
				return fmt.Errorf("broker data directory: %w", err)
			}
			ns, err := jetstream.StartServer(cfg)
			if err != nil {
				return err
			}
			defer ns.Close()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "sagalab %s broker (NATS JetStream) on %s; Ctrl-C stops\n", version, ns.URL())
			fmt.Fprintf(out, "  data       %s (file storage)\n", cfg.DataDir)
			if cfg.ClusterName != "" {
				fmt.Fprintf(out, "  cluster    %s, listening on %s, routes %s\n",
					cfg.ClusterName, cfg.ClusterAddr, strings.Join(cfg.Routes, ", "))
			}
			fmt.Fprintf(out, "  modules    sagalab serve --module NAME --broker %s\n", ns.URL())
			<-cmd.Context().Done()
			fmt.Fprintln(out, "stopping")
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.Addr, "addr", "127.0.0.1:4222", "address clients (the modules) connect to")
	fl.StringVar(&cfg.DataDir, "data", "sagalab-broker", "directory of JetStream's files")
	fl.StringVar(&cfg.ServerName, "name", "", "server name in a cluster (default from --addr)")
	fl.StringVar(&cfg.ClusterName, "cluster-name", "", "name of the cluster to join")
	fl.StringVar(&cfg.ClusterAddr, "cluster-addr", "", "address this broker listens on for the others, host:port")
	fl.StringVar(&routes, "routes", "", "comma-separated cluster addresses of the other brokers, nats://host:port")
	return cmd
}

// checkBrokerFlags says what is wrong with the broker's flags, if anything.
func checkBrokerFlags(cfg jetstream.ServerConfig) error {
	clustered := cfg.ClusterName != "" || cfg.ClusterAddr != "" || len(cfg.Routes) > 0
	if clustered && (cfg.ClusterName == "" || cfg.ClusterAddr == "") {
		return errors.New("a cluster needs both --cluster-name and --cluster-addr (and --routes to the others)")
	}
	for _, r := range cfg.Routes {
		u, err := url.Parse(r)
		if err != nil || u.Scheme != "nats" || u.Host == "" {
			return fmt.Errorf("--routes: %q is not nats://host:port", r)
		}
	}
	if cfg.DataDir == "" {
		return errors.New("--data: give the directory for JetStream's files")
	}
	return nil
}

// broker is the --broker flag of the commands that start the whole store
// in one process (demo, walkthrough, bench): its modules talk through
// JetStream instead of the in-process bus.
type broker struct {
	url string

	mu       sync.Mutex
	embedded *jetstream.Server
	dir      string
}

// check says what is wrong with --broker, if anything.
func (b *broker) check(arch system.Architecture) error {
	if b.url == "" {
		return nil
	}
	if arch == system.Monolith {
		return errors.New("--broker: the monolith has no bus")
	}
	if b.url == "embedded" {
		return nil
	}
	for _, one := range strings.Split(b.url, ",") {
		if u, err := url.Parse(one); err != nil || u.Scheme != "nats" || u.Host == "" {
			return fmt.Errorf(`--broker %q: want nats://HOST:PORT or "embedded"`, one)
		}
	}
	return nil
}

// transport makes the bus's transport, or nil for the in-process bus. An
// embedded broker starts on the first call, in this process with no port,
// and serves every later start (a crash and restart) until close.
func (b *broker) transport() func(context.Context) (bus.Transport, error) {
	if b.url == "" {
		return nil
	}
	return func(ctx context.Context) (bus.Transport, error) {
		if b.url != "embedded" {
			return jetstream.New(ctx, jetstream.Config{URL: b.url, Name: "sagalab"})
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.embedded == nil {
			dir, err := os.MkdirTemp("", "sagalab-broker-")
			if err != nil {
				return nil, fmt.Errorf("broker data directory: %w", err)
			}
			ns, err := jetstream.StartServer(jetstream.ServerConfig{InProcessOnly: true, DataDir: dir})
			if err != nil {
				os.RemoveAll(dir)
				return nil, err
			}
			b.embedded, b.dir = ns, dir
		}
		return jetstream.New(ctx, jetstream.Config{InProcess: b.embedded.Server, Name: "sagalab"})
	}
}

// close stops an embedded broker and removes its files.
func (b *broker) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.embedded != nil {
		b.embedded.Close()
		os.RemoveAll(b.dir)
		b.embedded = nil
	}
}

// busName says what carries cfg's messages.
func busName(cfg system.Config) string {
	if cfg.Transport != nil {
		return "NATS JetStream"
	}
	return "in-process"
}
