package rightsvc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/store"
)

// What the command line does with the service: applying a file of
// commands, tracing a unit, and plain-text tables.

// applyLine is what apply prints for each command.
type applyLine struct {
	Line    int            `json:"line"`
	Key     string         `json:"key,omitempty"`
	Result  *rights.Result `json:"result,omitempty"`
	Refused *refusalJSON   `json:"refused,omitempty"`
}

type refusalJSON struct {
	Cmd    string `json:"cmd,omitempty"`
	Field  string `json:"field,omitempty"`
	Error  string `json:"error"`
	Reason string `json:"reason"`
}

// ApplyLines applies commands, one JSON object a line of in, as actor
// (entries and audit records name actor, never one named in a line), with
// up to pipeline of them in flight so that they share transactions, and
// writes one result or refusal a line to out in input order, each once it
// is durable. Blank lines and lines starting with # are skipped. A store
// failure stops it: nothing after the failed command is printed.
func ApplyLines(ctx context.Context, svc *Service, in io.Reader, out io.Writer, actor string, pipeline int) (applied, refused int, err error) {
	// Commands are submitted in file order with up to --pipeline of them
	// in flight, so that they share transactions (group commit), and the
	// results are printed in file order as they become durable.
	type pending struct {
		out  applyLine
		wait func(context.Context) (rights.Result, error)
		err  error
	}
	queue := make(chan *pending, pipeline)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	printed := make(chan error, 1)
	var failed atomic.Bool // the printer met a store failure: stop reading
	go func() {
		var ferr error
		for p := range queue {
			if ferr != nil {
				continue
			}
			err := p.err
			if err == nil {
				var res rights.Result
				res, err = p.wait(ctx)
				if err == nil {
					p.out.Key, p.out.Result = res.Key, &res
					applied++
				}
			}
			if err != nil {
				var rf *rights.Refusal
				var de *DecodeError
				switch {
				case errors.As(err, &rf):
					p.out.Refused = &refusalJSON{Cmd: rf.Cmd, Field: rf.Field, Error: rf.Err.Error(), Reason: rf.Reason}
				case errors.As(err, &de):
					p.out.Refused = &refusalJSON{Field: de.Field, Error: "invalid command", Reason: de.Msg}
				default:
					// A store failure: nothing of this command was applied;
					// stop so that later results are not printed as if it
					// had been.
					ferr = fmt.Errorf("line %d: %w", p.out.Line, err)
					failed.Store(true)
					continue
				}
				refused++
			}
			// The line is printed only once the command is durable: a
			// printed result is an acknowledgement.
			if err := enc.Encode(p.out); err != nil {
				ferr = err
			}
		}
		printed <- ferr
	}()

	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	line := 0
	var serr error
	for !failed.Load() && sc.Scan() {
		line++
		b := sc.Bytes()
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		p := &pending{out: applyLine{Line: line}}
		var cmd rights.Command
		// The command line acts as the operator: entries and audit
		// records say "cli", never an actor named in the file.
		if cmd, p.err = DecodeCommandAs(b, "", actor); p.err == nil {
			p.wait, p.err = svc.SubmitAudited(ctx, cmd, &model.AuditRecord{Actor: actor, Role: "system"})
		}
		queue <- p
	}
	if err := sc.Err(); err != nil {
		serr = fmt.Errorf("line %d: %w", line+1, err)
	}
	close(queue)
	if err := <-printed; err != nil {
		return applied, refused, err
	}
	return applied, refused, serr
}

// UnitHistory returns the entries that moved unit serial of pollutant,
// from its creation to its end, in ledger order.
func UnitHistory(ctx context.Context, st store.RightsStore, pollutant string, serial int64) ([]rights.Entry, error) {
	var trace []rights.Entry
	err := st.RightsEntries(ctx, store.RightsQuery{}, func(e *rights.Entry) error {
		if e.Kind == rights.KindRights && e.Asset == pollutant && e.Start <= serial && serial < e.End() {
			trace = append(trace, *e)
		}
		return nil
	})
	return trace, err
}

// WriteBalances writes holdings as a plain-text table (g/a and t/a).
func WriteBalances(w io.Writer, hs []Holding) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "account\tpollutant\tbalance g/a\tspendable g/a\tbalance t/a\t")
	for _, h := range hs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t\n", h.Account, h.Pollutant, h.Balance, h.Spendable, tonnes(h.Balance))
	}
	return tw.Flush()
}

// WriteHistory writes a unit's entries as a plain-text table.
func WriteHistory(w io.Writer, trace []rights.Entry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "seq\ttime\tcmd\top\tref\tfrom\tto\tserials\tdoc")
	for _, e := range trace {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d-%d\t%s\n", e.Seq, e.Time.Format(time.RFC3339), e.Cmd, e.Op, e.Ref,
			e.From, e.To, e.Start, e.End()-1, e.Doc)
	}
	return tw.Flush()
}

// WriteFlows writes the reservoirs' receipts and spending as a table.
func WriteFlows(w io.Writer, flows []Flow) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "account\tpollutant\tyear\treceived g/a\tspent g/a\tby operation")
	for _, f := range flows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\n", f.Account, f.Pollutant, f.Year, f.In, f.Out, byOp(f))
	}
	return tw.Flush()
}

// tonnes formats g/a as t/a with six decimals, exactly.
func tonnes(g int64) string {
	sign := ""
	if g < 0 {
		sign, g = "-", -g
	}
	return fmt.Sprintf("%s%d.%06d", sign, g/1_000_000, g%1_000_000)
}

func byOp(f Flow) string {
	s := ""
	for _, m := range []struct {
		sign string
		ops  map[string]int64
	}{{"+", f.InByOp}, {"-", f.OutByOp}} {
		for _, op := range sortedOps(m.ops) {
			if s != "" {
				s += " "
			}
			s += m.sign + op + "=" + strconv.FormatInt(m.ops[op], 10)
		}
	}
	return s
}

func sortedOps(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// Export writes the stored ledger as JSON lines and returns the number of
// entries and the head hash.
func Export(ctx context.Context, st store.RightsStore, w io.Writer) (n int, head rights.Digest, err error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := st.RightsEntries(ctx, store.RightsQuery{}, func(e *rights.Entry) error {
		n++
		head = e.Hash
		return enc.Encode(e)
	}); err != nil {
		return n, head, err
	}
	return n, head, bw.Flush()
}

// Verified is what VerifyLedger found.
type Verified struct {
	Entries     int
	Head        rights.Digest
	Checkpoints []Checkpoint // those the ledger was held against
}

// VerifyLedger verifies entries — hash chain, commands, invariants — and
// that the ledger still ends where it was published: with head when it is
// given, else at the last checkpoints of the file in dir and of the audit
// log (au; either may be absent), so that entries removed from the end are
// detected.
func VerifyLedger(ctx context.Context, es []rights.Entry, head *rights.Digest, dir string, au Auditor) (Verified, error) {
	v := Verified{Entries: len(es)}
	if len(es) > 0 {
		v.Head = es[len(es)-1].Hash
	}
	if head != nil {
		return v, rights.VerifyHead(es, *head)
	}
	cps, err := LastCheckpoints(ctx, dir, au)
	if err != nil {
		return v, err
	}
	v.Checkpoints = cps
	return v, VerifyCheckpoints(es, cps)
}
