package main

import (
	"context"
	"io"
	"strings"
	"time"

	"fmt"

	"github.com/ecowatch/ecowatch/internal/app"
	"github.com/ecowatch/ecowatch/internal/bus"
)

var runBus = group("bus", "", map[string]command{
	"init":   {"create or update the stream, its partition consumers and the lease bucket", busInitStatus("init")},
	"status": {"print the stream's backlog (frames not yet written) and the partitions' writers", busInitStatus("status")},
	"serve":  {"run an embedded NATS JetStream server (a single node, or a cluster member)", runBusServe},
})

func busInitStatus(sub string) runFunc {
	return func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
		fs := newFlagSet("bus "+sub, "bus "+sub+" [flags]", stderr)
		var bf app.BusFlags
		bf.Register(fs)
		if err := parseNone(fs, args); err != nil {
			return err
		}
		log, _ := app.NewJSONLogger("warn", stderr)
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		bc := bf.Config("ecowatch-bus-"+sub, log)
		bc.Manage = sub == "init" // only init changes an existing stream; the roles adopt it as it is
		b, err := bus.Connect(cctx, bc)
		if err != nil {
			return err
		}
		defer b.Close()
		if err := b.Ready(cctx); err != nil {
			return err
		}
		st, err := b.Status(cctx)
		if err != nil {
			return err
		}
		bus.WriteStatus(stdout, b.Config(), st, sub == "status")
		return nil
	}
}

func runBusServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("bus serve", "bus serve [flags]  (nats-server v2 in process: one node, or a member of a cluster of three given --cluster-port and --routes)", stderr)
	var cfg bus.EmbeddedConfig
	fs.StringVar(&cfg.Dir, "dir", "ecowatch-nats", "JetStream storage directory")
	fs.StringVar(&cfg.Host, "host", "127.0.0.1", "client listen host")
	fs.IntVar(&cfg.Port, "port", 4222, "client port")
	fs.StringVar(&cfg.ServerName, "name", "", "server name (unique in a cluster)")
	fs.StringVar(&cfg.ClusterName, "cluster", "ecowatch", "cluster name")
	fs.IntVar(&cfg.ClusterPort, "cluster-port", 0, "cluster (route) port; 0: no cluster")
	routes := fs.String("routes", "", "other members' routes, comma-separated nats-route://host:port")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	if *routes != "" {
		cfg.Routes = strings.Split(*routes, ",")
	}
	srv, err := bus.StartEmbedded(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ecowatch bus: NATS JetStream on %s\n", srv.ClientURL())
	<-ctx.Done()
	srv.Shutdown()
	srv.WaitForShutdown()
	return nil
}
