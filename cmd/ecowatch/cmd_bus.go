package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/bus"
)

func runBus(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, "Usage: ecowatch bus init|status|serve [flags]\n\n  init    create or update the stream, its partition consumers and the lease bucket\n  status  print the stream's backlog (frames not yet written)\n  serve   run an embedded NATS JetStream server (a single node, or a cluster member)")
		if len(args) == 0 {
			return usageError{fmt.Errorf("missing subcommand")}
		}
		return nil
	}
	switch args[0] {
	case "init", "status":
		return runBusInitStatus(ctx, args[0], args[1:], stdout, stderr)
	case "serve":
		return runBusServe(ctx, args[1:], stdout, stderr)
	}
	return usageError{fmt.Errorf("unknown subcommand %q (want init, status or serve)", args[0])}
}

func runBusInitStatus(ctx context.Context, sub string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bus "+sub, "bus "+sub+" [flags]", stderr)
	var bf busFlags
	bf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	log, _ := newLogger("warn", stderr)
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	bc := bf.config("ecowatch-bus-"+sub, log)
	// Only init changes an existing stream; the roles adopt it as it is.
	bc.Manage = sub == "init"
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
	c := b.Config()
	fmt.Fprintf(stdout, "stream %s: subjects %s.<partition>.<MN>, %d partitions, %d replicas, at most %d frames pending\n",
		c.Stream, c.Subject, c.Partitions, c.Replicas, c.MaxPending)
	fmt.Fprintf(stdout, "backlog: %d frames not yet written (%d bytes)\n", st.Frames, st.Bytes)
	if st.Leader != "" {
		fmt.Fprintf(stdout, "leader: %s\n", st.Leader)
		for _, r := range st.Replicas {
			state := "current"
			switch {
			case r.Offline:
				state = "offline"
			case !r.Current:
				state = fmt.Sprintf("catching up, %d behind", r.Lag)
			}
			fmt.Fprintf(stdout, "replica: %s %s\n", r.Name, state)
		}
	}
	if sub == "status" {
		owners := map[string][]int{}
		for p := 0; p < c.Partitions; p++ {
			owners[st.Leases[p]] = append(owners[st.Leases[p]], p)
		}
		names := make([]string, 0, len(owners))
		for n := range owners {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			who := n
			if who == "" {
				who = "(no writer)"
			}
			fmt.Fprintf(stdout, "partitions %v: %s\n", owners[n], who)
		}
	}
	return nil
}

func runBusServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bus serve", "bus serve [flags]\n\nRuns an embedded NATS server with JetStream (nats-server v2 in process): one node, or a\nmember of a cluster of three given --cluster-port and --routes.", stderr)
	dir := fs.String("dir", "ecowatch-nats", "JetStream storage directory")
	host := fs.String("host", "127.0.0.1", "client listen host")
	port := fs.Int("port", 4222, "client port")
	name := fs.String("name", "", "server name (unique in a cluster)")
	cluster := fs.String("cluster", "ecowatch", "cluster name")
	cport := fs.Int("cluster-port", 0, "cluster (route) port; 0: no cluster")
	routes := fs.String("routes", "", "other members' routes, comma-separated nats-route://host:port")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	cfg := bus.EmbeddedConfig{Dir: *dir, Host: *host, Port: *port, ServerName: *name, ClusterName: *cluster, ClusterPort: *cport}
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
