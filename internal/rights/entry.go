package rights

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Kind says what an entry records.
type Kind string

const (
	// KindRights moves the serial range [Start, Start+Amount) of pollutant
	// Asset from one account to another.
	KindRights Kind = "rights"
	// KindMoney records a payment of Amount fen from one account to another.
	KindMoney Kind = "money"
	// KindEvent records a change of an object's state (a credit, an
	// allocation, an order, the configuration). It moves nothing.
	KindEvent Kind = "event"
)

// Money is the asset code of money entries. Amounts are in fen (分).
const Money = "CNY"

// Entry is one ledger row. Entries are append-only; a command produces a
// contiguous run of entries sharing Key, Body, Cmd and Time, and the run is
// written atomically or not at all.
//
// It maps to one table row (column: type):
//
//	seq         bigint primary key   position in the chain, from 1, no gaps
//	time        timestamptz          the command's time, UTC, microseconds
//	key         text                 idempotency key of the command (unique per run)
//	body        bytea(32)            SHA-256 of the command body (see BodyDigest)
//	cmd         text                 command name, e.g. "agreement"
//	op          text                 what this row does, e.g. "deliver", "fee", "credit.status"
//	kind        text                 rights | money | event
//	ref         text                 the object: permit no, credit, allocation, order, auction, contract
//	asset       text                 pollutant code (rights), "CNY" (money), or a pollutant for events
//	from_acct   text                 debited account (rights, money)
//	to_acct     text                 credited account (rights, money; events: the account concerned)
//	start       bigint               first serial of the range (rights only)
//	amount      bigint               grams per year (rights) or fen (money); 0 for events
//	valid_until timestamptz null     new validity of the moved block (rights; null = unchanged)
//	paid        boolean              the receiver paid for these rights (rights only)
//	status      text                 the object's new status (events)
//	detail      text                 canonical JSON with the event's data (events, trades)
//	actor       text                 who issued the command
//	doc         text                 document number (公文号, contract, EIA approval)
//	prev        bytea(32)            hash of the previous entry (zeros for the first)
//	hash        bytea(32)            SHA-256(prev || canonical encoding), see AppendCanonical
type Entry struct {
	Seq        int64     `json:"seq"`
	Time       time.Time `json:"time"`
	Key        string    `json:"key"`
	Body       Digest    `json:"body"`
	Cmd        string    `json:"cmd"`
	Op         string    `json:"op"`
	Kind       Kind      `json:"kind"`
	Ref        string    `json:"ref,omitempty"`
	Asset      string    `json:"asset,omitempty"`
	From       Account   `json:"from,omitempty"`
	To         Account   `json:"to,omitempty"`
	Start      int64     `json:"start,omitempty"`
	Amount     int64     `json:"amount,omitempty"`
	ValidUntil time.Time `json:"valid_until,omitzero"`
	Paid       bool      `json:"paid,omitempty"`
	Status     string    `json:"status,omitempty"`
	Detail     string    `json:"detail,omitempty"`
	Actor      string    `json:"actor,omitempty"`
	Doc        string    `json:"doc,omitempty"`
	Prev       Digest    `json:"prev"`
	Hash       Digest    `json:"hash"`
}

// End returns the serial after the last one the entry moves.
func (e *Entry) End() int64 { return e.Start + e.Amount }

// Digest is a SHA-256 value; it marshals as lowercase hex.
type Digest [32]byte

func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// MarshalText implements encoding.TextMarshaler.
func (d Digest) MarshalText() ([]byte, error) {
	return hex.AppendEncode(nil, d[:]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Digest) UnmarshalText(b []byte) error {
	if hex.DecodedLen(len(b)) != len(d) {
		return fmt.Errorf("digest: want %d hex digits, got %d", 2*len(d), len(b))
	}
	_, err := hex.Decode(d[:], b)
	return err
}

// AppendCanonical appends the canonical encoding of e that the hash covers:
// the tag "ecowatch-rights/1" and then every field except Prev and Hash, in
// the order of the struct, each as <decimal byte length>:<bytes>, (a
// netstring). Integers are decimal; times are Unix microseconds in decimal
// (a zero ValidUntil is the empty string); Body is lowercase hex; Paid is 0
// or 1. Anyone can rebuild this from an export and check
// Hash = SHA-256(Prev || canonical).
func AppendCanonical(dst []byte, e *Entry) []byte {
	dst = appendField(dst, "ecowatch-rights/1")
	dst = appendInt(dst, e.Seq)
	dst = appendInt(dst, e.Time.UnixMicro())
	dst = appendField(dst, e.Key)
	var hb [64]byte
	hex.Encode(hb[:], e.Body[:])
	dst = appendBytes(dst, hb[:])
	dst = appendField(dst, e.Cmd)
	dst = appendField(dst, e.Op)
	dst = appendField(dst, string(e.Kind))
	dst = appendField(dst, e.Ref)
	dst = appendField(dst, e.Asset)
	dst = appendField(dst, string(e.From))
	dst = appendField(dst, string(e.To))
	dst = appendInt(dst, e.Start)
	dst = appendInt(dst, e.Amount)
	if e.ValidUntil.IsZero() {
		dst = appendField(dst, "")
	} else {
		dst = appendInt(dst, e.ValidUntil.UnixMicro())
	}
	if e.Paid {
		dst = appendField(dst, "1")
	} else {
		dst = appendField(dst, "0")
	}
	dst = appendField(dst, e.Status)
	dst = appendField(dst, e.Detail)
	dst = appendField(dst, e.Actor)
	dst = appendField(dst, e.Doc)
	return dst
}

func appendField(dst []byte, s string) []byte {
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, ':')
	dst = append(dst, s...)
	return append(dst, ',')
}

func appendBytes(dst, b []byte) []byte {
	dst = strconv.AppendInt(dst, int64(len(b)), 10)
	dst = append(dst, ':')
	dst = append(dst, b...)
	return append(dst, ',')
}

func appendInt(dst []byte, v int64) []byte {
	var nb [20]byte
	return appendBytes(dst, strconv.AppendInt(nb[:0], v, 10))
}

// hashEntry computes SHA-256(e.Prev || canonical(e)); buf is scratch space
// that is returned for reuse.
func hashEntry(e *Entry, buf []byte) (Digest, []byte) {
	buf = append(buf[:0], e.Prev[:]...)
	buf = AppendCanonical(buf, e)
	return sha256.Sum256(buf), buf
}

// Export writes entries as JSON Lines, one entry per line: the format of a
// public export that Verify can check.
func Export(w io.Writer, entries []Entry) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range entries {
		if err := enc.Encode(&entries[i]); err != nil {
			return fmt.Errorf("rights: export entry %d: %w", entries[i].Seq, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("rights: export: %w", err)
	}
	return nil
}

// Import reads an export written by Export. It checks only the syntax;
// Verify checks the content.
func Import(r io.Reader) ([]Entry, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	var out []Entry
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("rights: import line %d: %w", line, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("rights: import line %d: %w", line+1, err)
	}
	return out, nil
}
