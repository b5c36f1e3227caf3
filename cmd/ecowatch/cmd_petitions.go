package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/store"
)

const petitionsUsage = `Usage: ecowatch petitions <subcommand> [flags]

Subcommands:
  list [--county C] [--limit N] [--json]   newest first
  show [--json] CODE                       a petition (any spelling of the tracking code) and its case
`

func runPetitions(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, petitionsUsage)
		return usageError{errors.New("missing subcommand (list or show)")}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stderr, petitionsUsage)
		return flag.ErrHelp
	case "list", "show":
	default:
		fmt.Fprint(stderr, petitionsUsage)
		return usageError{fmt.Errorf("unknown subcommand %q", args[0])}
	}
	sub := args[0]
	fs := newFlagSet("petitions "+sub, "petitions "+sub+" [flags]", stderr)
	var sf registryStoreFlags
	sf.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	county := fs.String("county", "", "county code (list)")
	limit := fs.Int("limit", 50, "at most this many (list)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	want := map[string]int{"list": 0, "show": 1}[sub]
	if len(pos) != want {
		return usageError{fmt.Errorf("want %d argument(s), got %q", want, pos)}
	}
	st, err := sf.open(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	if sub == "list" {
		ps, err := st.Petitions(ctx, store.PetitionQuery{County: *county, Limit: *limit})
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSONOut(stdout, ps)
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CODE\tRECEIVED\tCATEGORY\tCOUNTY\tCASE\tLOCATION")
		for _, p := range ps {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Code, p.ReceivedAt.Format("2006-01-02 15:04"), p.Category, p.County, p.Case, p.Location)
		}
		return tw.Flush()
	}
	code, ok := cases.NormaliseTrackingCode(pos[0])
	if !ok {
		return usageError{fmt.Errorf("%q is not a valid tracking code", pos[0])}
	}
	p, err := st.Petition(ctx, cases.FormatTrackingCode(code))
	if err != nil {
		return err
	}
	c, err := st.Case(ctx, p.Case)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSONOut(stdout, map[string]any{"petition": p, "case": c})
	}
	fmt.Fprintf(stdout, "%s  %s  %s  received %s\n  location: %s\n  contact: %s\n  %s\n", p.Code, p.Category, p.County,
		p.ReceivedAt.Format("2006-01-02 15:04"), p.Location, p.Contact, p.Description)
	fmt.Fprintf(stdout, "case %s [%s]", c.ID, c.State)
	if c.Satisfaction != "" {
		fmt.Fprintf(stdout, " satisfaction: %s", c.Satisfaction)
	}
	fmt.Fprintln(stdout)
	if p.Reply != "" {
		fmt.Fprintf(stdout, "reply: %s\n", p.Reply)
	}
	return nil
}
