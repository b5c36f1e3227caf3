package bus

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedConfig configures an in-process JetStream server.
type EmbeddedConfig struct {
	Dir         string   // JetStream storage directory (required)
	Host        string   // client listen host, default 127.0.0.1
	Port        int      // client port; 0 picks a free port (see Server.ClientURL)
	ServerName  string   // unique in a cluster; default derived from the port
	ClusterName string   // set with ClusterPort to form a cluster
	ClusterPort int      // route listen port (same host); 0: no cluster
	Routes      []string // nats-route://host:port of the other nodes
}

// StartEmbedded starts a JetStream server in this process (ecowatch serve
// --bus embedded, tests) and returns it once it accepts connections. In a
// cluster, JetStream is usable only once the nodes have elected a meta
// leader; Connect waits for that by itself.
func StartEmbedded(cfg EmbeddedConfig) (*server.Server, error) {
	if cfg.Dir == "" {
		return nil, errors.New("bus: embedded NATS needs a storage directory")
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	port := cfg.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	opts := &server.Options{
		ServerName: cfg.ServerName,
		Host:       cfg.Host,
		Port:       port,
		JetStream:  true,
		StoreDir:   cfg.Dir,
		NoSigs:     true,
		NoLog:      true,
		// An embedded server has no monitoring port of its own; the
		// roles expose their own metrics.
		HTTPPort: 0,
	}
	if cfg.ClusterPort != 0 {
		if cfg.ClusterName == "" {
			return nil, errors.New("bus: embedded NATS cluster needs a cluster name")
		}
		if cfg.ServerName == "" {
			opts.ServerName = "ecowatch-" + strconv.Itoa(cfg.ClusterPort)
		}
		opts.Cluster = server.ClusterOpts{Name: cfg.ClusterName, Host: cfg.Host, Port: cfg.ClusterPort}
		for _, r := range cfg.Routes {
			urls := server.RoutesFromStr(r)
			if len(urls) == 0 {
				return nil, fmt.Errorf("bus: bad route %q", r)
			}
			opts.Routes = append(opts.Routes, urls...)
		}
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("bus: embedded NATS: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return nil, errors.New("bus: embedded NATS did not start within 30s")
	}
	return s, nil
}

// FreePort returns a free TCP port on host (for tests and single-node
// deployments that must know a route port before starting). Another
// process may take it before it is used.
func FreePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
