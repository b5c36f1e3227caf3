package rightsvc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ecowatch/ecowatch/internal/rights"
)

// decoders maps the command names used on the wire ("cmd") to decoders of
// the command's value type: rights.Apply takes command values, not
// pointers.
var decoders = map[string]func([]byte) (rights.Command, error){
	"configure":           dec[rights.Configure],
	"allocate_permit":     dec[rights.AllocatePermit],
	"declare_reduction":   dec[rights.DeclareReduction],
	"review_reduction":    dec[rights.ReviewReduction],
	"confirm_reduction":   dec[rights.ConfirmReduction],
	"reserve_allocation":  dec[rights.ReserveAllocation],
	"lock_allocation":     dec[rights.LockAllocation],
	"grant_allocation":    dec[rights.GrantAllocation],
	"writeoff_allocation": dec[rights.WriteOffAllocation],
	"release_allocation":  dec[rights.ReleaseAllocation],
	"place_order":         dec[rights.PlaceOrder],
	"cancel_order":        dec[rights.CancelOrder],
	"open_auction":        dec[rights.OpenAuction],
	"bid_auction":         dec[rights.BidAuction],
	"close_auction":       dec[rights.CloseAuction],
	"agreement":           dec[rights.Agreement],
	"transfer":            dec[rights.Transfer],
	"buyback":             dec[rights.BuyBack],
	"retire":              dec[rights.Retire],
	"expire":              dec[rights.Expire],
}

func dec[T rights.Command](b []byte) (rights.Command, error) {
	var v T
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("trailing data after the command")
	}
	return v, nil
}

// CommandNames returns the command names DecodeCommand accepts, sorted.
func CommandNames() []string {
	out := make([]string, 0, len(decoders))
	for n := range decoders {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// DecodeError is a command that cannot be decoded; Field names the JSON
// member at fault when known.
type DecodeError struct {
	Field string
	Msg   string
}

func (e *DecodeError) Error() string {
	if e.Field == "" {
		return "command: " + e.Msg
	}
	return "command: " + e.Field + ": " + e.Msg
}

// DecodeCommand decodes one command in its wire form: a JSON object whose
// member "cmd" names the command (see CommandNames) and whose other
// members are the command's fields, "key" (the idempotency key) included.
// If key is not empty it is the idempotency key (an HTTP Idempotency-Key
// header): the body may then omit "key" but must not contradict it.
// Unknown members are refused, so a misspelt field cannot be silently
// dropped from a legal record.
func DecodeCommand(b []byte, key string) (rights.Command, error) {
	return decodeCommand(b, key, nil)
}

// DecodeCommandAs is DecodeCommand for a caller whose identity the server
// knows: the actor recorded on the entries is actor, and a body that
// names an actor itself is refused (field "actor"), so nobody can sign a
// legal record with another's name.
func DecodeCommandAs(b []byte, key, actor string) (rights.Command, error) {
	return decodeCommand(b, key, &actor)
}

func decodeCommand(b []byte, key string, actor *string) (rights.Command, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, &DecodeError{Msg: "not a JSON object: " + err.Error()}
	}
	var name string
	if raw, ok := m["cmd"]; !ok {
		return nil, &DecodeError{Field: "cmd", Msg: "missing; want one of the command names"}
	} else if err := json.Unmarshal(raw, &name); err != nil {
		return nil, &DecodeError{Field: "cmd", Msg: "not a string"}
	}
	d, ok := decoders[name]
	if !ok {
		return nil, &DecodeError{Field: "cmd", Msg: fmt.Sprintf("unknown command %q", name)}
	}
	delete(m, "cmd")
	if actor != nil {
		// encoding/json matches member names without regard to case.
		for k := range m {
			if strings.EqualFold(k, "actor") {
				return nil, &DecodeError{Field: "actor", Msg: "not accepted: the actor is who is logged in (your session or token), recorded by the server"}
			}
		}
		if *actor != "" {
			ab, _ := json.Marshal(*actor)
			m["actor"] = ab
		}
	}
	if key != "" {
		if raw, ok := m["key"]; ok {
			var k string
			if err := json.Unmarshal(raw, &k); err != nil || k != key {
				return nil, &DecodeError{Field: "key", Msg: "differs from the Idempotency-Key header"}
			}
		}
		kb, _ := json.Marshal(key)
		m["key"] = kb
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil, &DecodeError{Msg: err.Error()}
	}
	cmd, err := d(body)
	if err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return nil, &DecodeError{Field: ute.Field, Msg: fmt.Sprintf("want a JSON %s", ute.Type)}
		}
		return nil, &DecodeError{Msg: err.Error()}
	}
	return cmd, nil
}
