package bus

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

// Message is the content of one bus message: the parts of one received
// frame (store.Frame resolved). Any part may be absent; a message with no
// part is never published.
type Message struct {
	Upload  *model.Upload
	Raw     *model.RawFrame
	Contact *model.Contact
}

// Wire format, version 1 (all integers varint-encoded, strings and byte
// strings as uvarint length + bytes, times as signed varint seconds since
// the Unix epoch + uvarint nanoseconds, always UTC):
//
//	version(1) flags(1: 1 upload, 2 raw, 4 contact)
//	upload:  MN CN DataTime n×(Factor Field Value)
//	raw:     ReceivedAt Remote MN CN QN Status Reason n×Deviation Raw
//	contact: MN At Remote CN
//
// A binary format rather than JSON: a minute frame's message is about a
// third of its JSON size and decodes without reflection; the version byte
// lets a future writer read old messages still in the stream. RawFrame.ID
// and BusSeq are not carried: the store assigns the one, the stream
// sequence is the other.
const (
	wireVersion = 1

	flagUpload  = 1
	flagRaw     = 2
	flagContact = 4
	flagsKnown  = flagUpload | flagRaw | flagContact
)

// DecodeError tells where a message could not be decoded.
type DecodeError struct {
	Offset int    // byte offset in the message where the field starts
	Field  string // e.g. "upload.values[3].value"
	Err    error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("bus: decode message: %s at byte %d: %v", e.Field, e.Offset, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

var (
	errTruncated = errors.New("truncated")
	errTooLong   = errors.New("length exceeds the message")
	errVarint    = errors.New("bad varint")
	errNanos     = errors.New("nanoseconds out of range")
)

// AppendMessage appends the encoding of m to dst.
func AppendMessage(dst []byte, m *Message) []byte {
	var flags byte
	if m.Upload != nil {
		flags |= flagUpload
	}
	if m.Raw != nil {
		flags |= flagRaw
	}
	if m.Contact != nil {
		flags |= flagContact
	}
	dst = append(dst, wireVersion, flags)
	if u := m.Upload; u != nil {
		dst = appendString(dst, u.MN)
		dst = appendString(dst, u.CN)
		dst = appendTime(dst, u.DataTime)
		dst = binary.AppendUvarint(dst, uint64(len(u.Values)))
		for _, v := range u.Values {
			dst = appendString(dst, v.Factor)
			dst = appendString(dst, v.Field)
			dst = appendString(dst, v.Value)
		}
	}
	if r := m.Raw; r != nil {
		dst = appendTime(dst, r.ReceivedAt)
		dst = appendString(dst, r.Remote)
		dst = appendString(dst, r.MN)
		dst = appendString(dst, r.CN)
		dst = appendString(dst, r.QN)
		dst = appendString(dst, r.Status)
		dst = appendString(dst, r.Reason)
		dst = binary.AppendUvarint(dst, uint64(len(r.Deviations)))
		for _, d := range r.Deviations {
			dst = appendString(dst, d)
		}
		dst = binary.AppendUvarint(dst, uint64(len(r.Raw)))
		dst = append(dst, r.Raw...)
	}
	if c := m.Contact; c != nil {
		dst = appendString(dst, c.MN)
		dst = appendTime(dst, c.At)
		dst = appendString(dst, c.Remote)
		dst = appendString(dst, c.CN)
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendTime(dst []byte, t time.Time) []byte {
	dst = binary.AppendVarint(dst, t.Unix())
	return binary.AppendUvarint(dst, uint64(t.Nanosecond()))
}

// decoder reads a message, remembering the first error with its offset
// and field; once failed, every read returns zero values.
type decoder struct {
	b   []byte
	s   string // b as one string: decoded strings are substrings of it (one allocation per message)
	off int
	idx int // index of the list element being read, for field names "x[]"
	err *DecodeError
}

func (d *decoder) fail(field string, off int, err error) {
	if d.err == nil {
		// Field names of list elements are built only on failure.
		if i := strings.Index(field, "[]"); i >= 0 {
			field = field[:i+1] + strconv.Itoa(d.idx) + field[i+1:]
		}
		d.err = &DecodeError{Offset: off, Field: field, Err: err}
	}
}

func (d *decoder) uvarint(field string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if !d.varintOK(field, n) {
		return 0
	}
	d.off += n
	return v
}

// varintOK checks a varint read of n bytes: complete, not overflowing,
// and minimal (a last byte of zero is a longer spelling of a shorter
// varint), so that every message has exactly one encoding.
func (d *decoder) varintOK(field string, n int) bool {
	switch {
	case n == 0:
		d.fail(field, d.off, errTruncated)
		return false
	case n < 0:
		d.fail(field, d.off, errVarint)
		return false
	case n > 1 && d.b[d.off+n-1] == 0:
		d.fail(field, d.off, errVarint)
		return false
	}
	return true
}

func (d *decoder) varint(field string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if !d.varintOK(field, n) {
		return 0
	}
	d.off += n
	return v
}

// bytes reads a length-prefixed byte string; the length is checked
// against what is left before anything is allocated, so a hostile length
// cannot make the decoder allocate more than the message size.
func (d *decoder) bytes(field string) []byte {
	start := d.off
	n := d.uvarint(field)
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)-d.off) {
		d.fail(field, start, errTooLong)
		return nil
	}
	p := d.b[d.off : d.off+int(n)]
	d.off += int(n)
	return p
}

func (d *decoder) string(field string) string {
	p := d.bytes(field)
	if len(p) == 0 {
		return ""
	}
	return d.s[d.off-len(p) : d.off]
}

func (d *decoder) time(field string) time.Time {
	start := d.off
	sec := d.varint(field)
	ns := d.uvarint(field)
	if d.err != nil {
		return time.Time{}
	}
	if ns >= 1e9 {
		d.fail(field, start, errNanos)
		return time.Time{}
	}
	return time.Unix(sec, int64(ns)).UTC()
}

// count reads a list length and checks that the list can fit in what is
// left, each element taking at least min bytes.
func (d *decoder) count(field string, min int) int {
	start := d.off
	n := d.uvarint(field)
	if d.err != nil {
		return 0
	}
	if n > uint64((len(d.b)-d.off)/min) {
		d.fail(field, start, errTooLong)
		return 0
	}
	return int(n)
}

// DecodeMessage decodes a message encoded by AppendMessage. It never
// panics; on bad input it returns a *DecodeError naming the byte offset
// and the field. The result does not alias data (its strings share one
// copy of it).
func DecodeMessage(data []byte) (Message, error) {
	d := decoder{b: data}
	var m Message
	if len(data) < 2 {
		return m, &DecodeError{Offset: len(data), Field: "header", Err: errTruncated}
	}
	if data[0] != wireVersion {
		return m, &DecodeError{Offset: 0, Field: "version", Err: fmt.Errorf("unsupported version %d", data[0])}
	}
	flags := data[1]
	if flags&^flagsKnown != 0 || flags == 0 {
		return m, &DecodeError{Offset: 1, Field: "flags", Err: fmt.Errorf("bad flags %#x", flags)}
	}
	d.off = 2
	d.s = string(data)
	if flags&flagUpload != 0 {
		u := &model.Upload{
			MN:       d.string("upload.mn"),
			CN:       d.string("upload.cn"),
			DataTime: d.time("upload.data_time"),
		}
		if n := d.count("upload.values", 3); n > 0 {
			u.Values = make([]model.Value, n)
			for i := range u.Values {
				if d.err != nil {
					break
				}
				v := &u.Values[i]
				d.idx = i
				v.Factor = d.string("upload.values[].factor")
				v.Field = d.string("upload.values[].field")
				v.Value = d.string("upload.values[].value")
			}
		}
		m.Upload = u
	}
	if flags&flagRaw != 0 {
		r := &model.RawFrame{
			ReceivedAt: d.time("raw.received_at"),
			Remote:     d.string("raw.remote"),
			MN:         d.string("raw.mn"),
			CN:         d.string("raw.cn"),
			QN:         d.string("raw.qn"),
			Status:     d.string("raw.status"),
			Reason:     d.string("raw.reason"),
		}
		if n := d.count("raw.deviations", 1); n > 0 {
			r.Deviations = make([]string, n)
			for i := range r.Deviations {
				d.idx = i
				r.Deviations[i] = d.string("raw.deviations[]")
			}
		}
		if p := d.bytes("raw.raw"); p != nil {
			r.Raw = append([]byte{}, p...)
		}
		m.Raw = r
	}
	if flags&flagContact != 0 {
		m.Contact = &model.Contact{
			MN:     d.string("contact.mn"),
			At:     d.time("contact.at"),
			Remote: d.string("contact.remote"),
			CN:     d.string("contact.cn"),
		}
	}
	if d.err == nil && d.off != len(data) {
		d.fail("end", d.off, fmt.Errorf("%d trailing bytes", len(data)-d.off))
	}
	if d.err != nil {
		return Message{}, d.err
	}
	return m, nil
}

// MsgID is the Nats-Msg-Id of a message, by which the stream drops a
// duplicate published within its duplicate window: a device's
// retransmission of an upload it already sent (same MN, CN, DataTime and
// values) and a gateway's retry of a batch whose PubAcks it did not get.
// Frames without an upload are identified by their raw bytes, reception
// time and remote address (the same bytes received twice are two
// receptions and both are archived).
func MsgID(m *Message) string {
	h := fnv.New64a()
	var buf [8]byte
	sep := []byte{0}
	switch {
	case m.Upload != nil:
		u := m.Upload
		for _, v := range u.Values {
			h.Write([]byte(v.Factor))
			h.Write(sep)
			h.Write([]byte(v.Field))
			h.Write(sep)
			h.Write([]byte(v.Value))
			h.Write(sep)
		}
		return "u:" + u.MN + "|" + u.CN + "|" + strconv.FormatInt(u.DataTime.UnixMilli(), 10) + "|" + strconv.FormatUint(h.Sum64(), 16)
	case m.Raw != nil:
		r := m.Raw
		binary.BigEndian.PutUint64(buf[:], uint64(r.ReceivedAt.UnixNano()))
		h.Write(buf[:])
		h.Write([]byte(r.Remote))
		h.Write(sep)
		h.Write(r.Raw)
		return "r:" + strconv.FormatUint(h.Sum64(), 16)
	case m.Contact != nil:
		c := m.Contact
		binary.BigEndian.PutUint64(buf[:], uint64(c.At.UnixNano()))
		h.Write(buf[:])
		h.Write([]byte(c.MN))
		h.Write(sep)
		h.Write([]byte(c.Remote))
		h.Write(sep)
		h.Write([]byte(c.CN))
		return "c:" + strconv.FormatUint(h.Sum64(), 16)
	}
	return ""
}

// DeviceMN is the MN a message is routed by: the upload's, else the raw
// frame's, else the contact's.
func (m *Message) DeviceMN() string {
	switch {
	case m.Upload != nil:
		return m.Upload.MN
	case m.Raw != nil && m.Raw.MN != "":
		return m.Raw.MN
	case m.Contact != nil:
		return m.Contact.MN
	}
	return ""
}

// Partition is the partition of a device: fnv32a(MN) mod partitions. All
// of a device's frames go to one partition, which one writer at a time
// consumes: that keeps each device's frames in order.
func Partition(mn string, partitions int) int {
	if partitions <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(mn))
	return int(h.Sum32() % uint32(partitions))
}

// maxSubjectMN bounds the MN token of a subject: an MN comes from the
// network (a rejected frame's), so it may be anything.
const maxSubjectMN = 64

// subjectToken makes an MN usable as one NATS subject token: no '.', '*',
// '>' or white space (or control characters), not empty ("_"). The
// writer never reads the MN back from the subject; the token is there for
// operators (nats stream view, per-device subject filters).
func subjectToken(mn string) string {
	if mn == "" {
		return "_"
	}
	if len(mn) > maxSubjectMN {
		mn = mn[:maxSubjectMN]
	}
	clean := true
	for i := 0; i < len(mn); i++ {
		if !tokenByteOK(mn[i]) {
			clean = false
			break
		}
	}
	if clean {
		return mn
	}
	var sb strings.Builder
	sb.Grow(len(mn))
	for i := 0; i < len(mn); i++ {
		if c := mn[i]; tokenByteOK(c) {
			sb.WriteByte(c)
		} else {
			sb.WriteByte('_')
		}
	}
	return sb.String()
}

func tokenByteOK(c byte) bool {
	return c > ' ' && c < 0x7f && c != '.' && c != '*' && c != '>'
}

// Subject is the subject of a device's message: <base>.<partition>.<MN>.
func Subject(base string, partitions int, mn string) string {
	return base + "." + strconv.Itoa(Partition(mn, partitions)) + "." + subjectToken(mn)
}
