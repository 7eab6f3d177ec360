package jetstream

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ServerConfig sets up an embedded NATS server with JetStream.
type ServerConfig struct {
	// Addr is where clients connect, host:port; ignored with InProcessOnly.
	Addr string
	// InProcessOnly opens no port: only this process connects (tests).
	InProcessOnly bool
	// DataDir holds JetStream's files.
	DataDir string
	// ServerName names the server in a cluster; default derived from Addr.
	ServerName string
	// ClusterName, ClusterAddr and Routes join the server to a cluster:
	// its name, where this server listens for the others, and their
	// cluster addresses (nats://host:port).
	ClusterName string
	ClusterAddr string
	Routes      []string
}

// Server is a running embedded NATS server.
type Server struct {
	*server.Server
}

// StartServer starts an embedded NATS server with JetStream and returns
// once it accepts connections.
func StartServer(cfg ServerConfig) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("start the broker: no data directory")
	}
	opts := &server.Options{
		JetStream:  true,
		StoreDir:   cfg.DataDir,
		ServerName: cfg.ServerName,
		NoSigs:     true,
		NoLog:      true,
	}
	if cfg.InProcessOnly {
		opts.DontListen = true
	} else {
		host, port, err := splitAddr(cfg.Addr)
		if err != nil {
			return nil, fmt.Errorf("broker address: %w", err)
		}
		opts.Host, opts.Port = host, port
		if opts.ServerName == "" {
			opts.ServerName = "sagalab-" + strconv.Itoa(port)
		}
	}
	if cfg.ClusterName != "" || cfg.ClusterAddr != "" || len(cfg.Routes) > 0 {
		if cfg.ClusterName == "" || cfg.ClusterAddr == "" {
			return nil, errors.New("start the broker: a cluster needs --cluster-name and --cluster-addr")
		}
		host, port, err := splitAddr(cfg.ClusterAddr)
		if err != nil {
			return nil, fmt.Errorf("cluster address: %w", err)
		}
		opts.Cluster = server.ClusterOpts{Name: cfg.ClusterName, Host: host, Port: port}
		for _, r := range cfg.Routes {
			u, err := url.Parse(r)
			if err != nil || u.Host == "" {
				return nil, fmt.Errorf("route %q: want nats://host:port", r)
			}
			opts.Routes = append(opts.Routes, u)
		}
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("start the broker: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("start the broker: not ready after 10s")
	}
	return &Server{ns}, nil
}

// URL is where clients connect.
func (s *Server) URL() string { return s.ClientURL() }

// Close shuts the server down and waits until it has.
func (s *Server) Close() {
	s.Shutdown()
	s.WaitForShutdown()
}

func splitAddr(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("%s: bad port %q", addr, p)
	}
	return host, port, nil
}
