// Command ecowatch is the one binary of the ecowatch platform: the device
// gateway and web server, the demo city, the device simulator, the HJ 212
// codec tools, the registry tools and the benchmarks.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/ecowatch/ecowatch/internal/usage"
)

// command is one subcommand. run gets the arguments after the command name
// and returns an error to print; flag.ErrHelp means help was printed.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"serve":     {"run the device gateway (HJ 212 over TCP) and the HTTP server", runServe},
	"demo":      {"run a whole demo city: data directory, registry, gateway, web and simulated devices", runDemo},
	"simulate":  {"simulate HJ 212 devices against a gateway", runSimulate},
	"hj212":     {"decode and encode HJ 212 frames (decode|encode)", runHJ212},
	"registry":  {"import, export and validate the registry (import|export|validate)", runRegistry},
	"bench":     {"measure ingest throughput and connection memory (ingest|conns|store)", runBench},
	"air":       {"ambient air quality: AQI, evaluation, targets (hourly|daily|...)", runAir},
	"water":     {"surface water: GB 3838 classes, CWQI, tracing (classify|...)", runWater},
	"rights":    {"emission-rights ledger and reservoirs (apply|balance|history|export|verify|reservoir)", runRights},
	"users":     {"users, roles and API tokens (add|list|passwd|token)", runUsers},
	"cases":     {"cases of the closed loop (list|show|act)", runCases},
	"petitions": {"public petitions (list|show)", runPetitions},
	"account":   {"county accountability: assessment, compensation, triggers, bulletin, warnings, soil, projects", runAccount},
	"gateway":   {"scaled out: a stateless HJ 212 gateway publishing to NATS JetStream", runGateway},
	"writer":    {"scaled out: commit the bus's frames to PostgreSQL, keep roll-ups and retention", runWriter},
	"web":       {"scaled out: the API and dashboard on PostgreSQL without a gateway", runWeb},
	"bus":       {"NATS JetStream bus: create or update the stream, show its state (init|status)", runBus},
	"backup":    {"take or verify a backup of a running single-machine ecowatch (store, evidence, ledger checkpoints)", runBackup},
	"restore":   {"restore a backup into a data directory, verified", runRestore},
	"version":   {"print the version and the schema version it needs (and that of --db)", runVersion},
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdout)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "ecowatch: unknown command %q\n\n", args[0])
		printUsage(stderr)
		return 2
	}
	if err := cmd.run(ctx, args[1:], stdin, stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var fe flagError
		if errors.As(err, &fe) {
			fmt.Fprintln(stderr, fe)
			return 2
		}
		var pu interface{ IsUsage() bool } // usage.Error, wherever it was made
		if errors.As(err, &pu) && pu.IsUsage() {
			fmt.Fprintf(stderr, "ecowatch %s: %v\n", args[0], err)
			return 2
		}
		fmt.Fprintf(stderr, "ecowatch %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "ecowatch: the ecology and environment bureau's platform (生态环境局业务平台)")
	fmt.Fprintln(w, "\nUsage: ecowatch <command> [flags]\n\nCommands:")
	listCommands(w, commands)
	fmt.Fprintln(w, "\nRun 'ecowatch <command> --help' for a command's flags.")
}

func listCommands(w io.Writer, cs map[string]command) {
	names := make([]string, 0, len(cs))
	for n := range cs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if cs[n].summary != "" { // an empty summary: internal, not listed
			fmt.Fprintf(w, "  %-10s %s\n", n, cs[n].summary)
		}
	}
}

type runFunc = func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error

// group is a command of subcommands: args[0] names one of subs; about
// follows the list of subcommands in the usage.
func group(name, about string, subs map[string]command) runFunc {
	return func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
		help := func(w io.Writer) {
			fmt.Fprintf(w, "Usage: ecowatch %s <subcommand> [flags]\n\nSubcommands:\n", name)
			listCommands(w, subs)
			if about != "" {
				fmt.Fprintf(w, "\n%s\n", about)
			}
			fmt.Fprintf(w, "\nRun 'ecowatch %s <subcommand> --help' for its flags.\n", name)
		}
		if len(args) == 0 {
			help(stderr)
			return usage.Error{Err: errors.New("missing subcommand")}
		}
		switch args[0] {
		case "-h", "-help", "--help", "help":
			help(stderr) // as the flag sets print theirs
			return flag.ErrHelp
		}
		c, ok := subs[args[0]]
		if !ok {
			help(stderr)
			return usage.Error{Err: fmt.Errorf("unknown subcommand %q", args[0])}
		}
		return c.run(ctx, args[1:], stdin, stdout, stderr)
	}
}

// newFlagSet returns a flag set that prints its usage to stderr and
// returns errors instead of exiting.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("ecowatch "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: ecowatch %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags; a bad flag (which the flag set has printed, with
// its usage) is a usage error, exit status 2.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil && !errors.Is(err, flag.ErrHelp) {
		return usage.Error{Err: flagError{fs.Name(), err}}
	} else {
		return err
	}
}

// flagError is a bad flag, named with its subcommand ("ecowatch air import").
type flagError struct {
	cmd string
	err error
}

func (e flagError) Error() string { return e.cmd + ": " + e.err.Error() }

// parseNone parses flags that take no positional argument.
func parseNone(fs *flag.FlagSet, args []string) error {
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usage.Error{Err: fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	return nil
}

// oneOf checks a flag's value against the allowed ones.
func oneOf(name, v string, allowed ...string) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	n := len(allowed) - 1
	return usage.Error{Err: fmt.Errorf("--%s %q: want %s or %s", name, v, strings.Join(allowed[:n], ", "), allowed[n])}
}
