package store

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

// Closed days are kept compacted (compact.go): one block per device, CN
// and China Standard Time day of uploads, one block per device and day of
// accepted raw frames. A block is a flate stream of a compact binary
// encoding, followed by the CRC-32 (IEEE) of the encoding, so that a
// damaged block is refused, never decoded into wrong evidence.
//
// Uploads: the (factor-field) keys once per block; per upload the time as
// a delta from the previous one and its values, each a key index and
// either a decimal (sign, digits and decimal places as sent, the digits
// as a delta from the same key's previous value) or the string as sent.
// Decoding returns every value string exactly as stored.
//
// Raw frames: the columns of the rows (ids and times as deltas, text
// columns through a per-block dictionary), then every frame's bytes one
// after another, so that the compressor sees a device's consecutive
// frames side by side. Decoding returns every byte of every frame.

const (
	blockUploads   = 1 // format tag of an upload block
	blockRaw       = 1 // format tag of a raw-frame block
	maxBlockValues = 1 << 20
)

var errBlockCorrupt = errors.New("compacted block is damaged")

var flatePool = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestCompression)
	return w
}}

// sealBlock compresses enc and appends its CRC.
func sealBlock(enc []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(enc)/4 + 16)
	w := flatePool.Get().(*flate.Writer)
	w.Reset(&out)
	w.Write(enc) // writes to a bytes.Buffer do not fail
	w.Close()
	flatePool.Put(w)
	return binary.LittleEndian.AppendUint32(out.Bytes(), crc32.ChecksumIEEE(enc))
}

// openBlock is the inverse of sealBlock.
func openBlock(b []byte) ([]byte, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: %d bytes", errBlockCorrupt, len(b))
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	r := flate.NewReader(bytes.NewReader(body))
	enc, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBlockCorrupt, err)
	}
	if crc32.ChecksumIEEE(enc) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", errBlockCorrupt)
	}
	return enc, nil
}

// decimal parses s as a decimal written the plain way (an optional minus,
// digits without a leading zero unless alone, an optional fraction):
// exactly the strings formatDecimal writes back. Others stay strings.
func decimal(s string) (mant int64, scale int, ok bool) {
	i, neg := 0, false
	if i < len(s) && s[i] == '-' {
		neg, i = true, 1
	}
	start := i
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		mant = mant*10 + int64(s[i]-'0')
		i++
		digits++
	}
	if i == start || (s[start] == '0' && i-start > 1) {
		return 0, 0, false
	}
	if i < len(s) {
		if s[i] != '.' {
			return 0, 0, false
		}
		i++
		fs := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			mant = mant*10 + int64(s[i]-'0')
			i++
			digits++
		}
		scale = i - fs
		if scale == 0 || i < len(s) {
			return 0, 0, false
		}
	}
	if digits > 18 || scale > 30 || (neg && mant == 0) {
		return 0, 0, false
	}
	if neg {
		mant = -mant
	}
	return mant, scale, true
}

// appendDecimal writes mant with scale decimal places, as decimal read it.
func appendDecimal(dst []byte, mant int64, scale int) []byte {
	if mant < 0 {
		dst = append(dst, '-')
		mant = -mant
	}
	var d [40]byte
	n := 0
	for mant > 0 || n <= scale {
		d[n] = byte('0' + mant%10)
		mant /= 10
		n++
	}
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, d[i])
		if i == scale && scale > 0 {
			dst = append(dst, '.')
		}
	}
	return dst
}

// encodeUploads encodes uploads of one device and CN, sorted by DataTime
// and with distinct DataTimes, into a sealed block.
func encodeUploads(ups []model.Upload) []byte {
	keys := map[string]int{}
	var keyList []string
	var body []byte
	prevT := int64(0)
	var prevMant []int64
	var kb []byte
	for i := range ups {
		u := &ups[i]
		t := u.DataTime.UnixMicro()
		body = binary.AppendVarint(body, t-prevT)
		prevT = t
		body = binary.AppendUvarint(body, uint64(len(u.Values)))
		for j := range u.Values {
			v := &u.Values[j]
			kb = appendValueKey(kb[:0], v)
			k, ok := keys[string(kb)]
			if !ok {
				k = len(keyList)
				keys[string(kb)] = k
				keyList = append(keyList, string(kb))
				prevMant = append(prevMant, 0)
			}
			if m, sc, ok := decimal(v.Value); ok {
				body = binary.AppendUvarint(body, uint64(k)<<6|uint64(sc+1))
				body = binary.AppendVarint(body, m-prevMant[k])
				prevMant[k] = m
				continue
			}
			body = binary.AppendUvarint(body, uint64(k)<<6)
			body = binary.AppendUvarint(body, uint64(len(v.Value)))
			body = append(body, v.Value...)
		}
	}
	enc := []byte{blockUploads}
	enc = binary.AppendUvarint(enc, uint64(len(ups)))
	enc = binary.AppendUvarint(enc, uint64(len(keyList)))
	for _, k := range keyList {
		enc = binary.AppendUvarint(enc, uint64(len(k)))
		enc = append(enc, k...)
	}
	return sealBlock(append(enc, body...))
}

// blockReader reads the encoding, remembering the first error.
type blockReader struct {
	b   []byte
	err error
}

func (r *blockReader) fail() {
	if r.err == nil {
		r.err = fmt.Errorf("%w: truncated or malformed", errBlockCorrupt)
	}
	r.b = nil
}

func (r *blockReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *blockReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *blockReader) bytes() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *blockReader) count() int {
	n := r.uvarint()
	if n > maxBlockValues || n > uint64(len(r.b))+1 {
		r.fail()
		return 0
	}
	return int(n)
}

// decodeUploads decodes a sealed block of uploads of mn and cn, keeping
// those with from <= DataTime < to (zero: unbounded) and appending them
// to dst in DataTime order. Values come sorted by (Factor, Field), as
// the stores return them.
func decodeUploads(dst []model.Upload, block []byte, mn, cn string, from, to time.Time) ([]model.Upload, error) {
	enc, err := openBlock(block)
	if err != nil {
		return dst, err
	}
	if len(enc) == 0 || enc[0] != blockUploads {
		return dst, fmt.Errorf("%w: unknown upload block format", errBlockCorrupt)
	}
	r := &blockReader{b: enc[1:]}
	n := r.count()
	nk := r.count()
	type key struct{ factor, field string }
	keys := make([]key, nk)
	for i := range keys {
		f, fl := splitValueKey(string(r.bytes()))
		keys[i] = key{f, fl}
	}
	prevMant := make([]int64, nk)
	var t int64
	var dbuf []byte
	lo, hi := int64(-1<<63), int64(1<<63-1)
	if !from.IsZero() {
		lo = from.UnixMicro()
	}
	if !to.IsZero() {
		hi = to.UnixMicro()
	}
	for range n {
		t += r.varint()
		nv := r.count()
		keep := t >= lo && t < hi
		var vals []model.Value
		if keep {
			vals = make([]model.Value, 0, nv)
		}
		for range nv {
			h := r.uvarint()
			k, kind := h>>6, int(h&63)
			if k >= uint64(nk) {
				r.fail()
				break
			}
			v := model.Value{Factor: keys[k].factor, Field: keys[k].field}
			switch kind {
			case 0:
				s := r.bytes()
				if keep {
					v.Value = string(s)
				}
			default:
				m := prevMant[k] + r.varint()
				prevMant[k] = m
				if keep {
					dbuf = appendDecimal(dbuf[:0], m, kind-1)
					v.Value = string(dbuf)
				}
			}
			if keep {
				vals = append(vals, v)
			}
		}
		if r.err != nil {
			return dst, r.err
		}
		if keep {
			sortValues(vals)
			dst = append(dst, model.Upload{MN: mn, CN: cn, DataTime: time.UnixMicro(t).UTC(), Values: vals})
		}
	}
	if r.err != nil {
		return dst, r.err
	}
	if len(r.b) != 0 {
		return dst, fmt.Errorf("%w: %d trailing bytes", errBlockCorrupt, len(r.b))
	}
	return dst, nil
}

// encodeRaw encodes raw frames sorted by ID into a sealed block.
func encodeRaw(frames []model.RawFrame) []byte {
	enc := []byte{blockRaw}
	enc = binary.AppendUvarint(enc, uint64(len(frames)))
	dict := map[string]int{}
	var words []byte
	nwords := 0
	var cols []byte
	str := func(s string) {
		k, ok := dict[s]
		if !ok {
			k = nwords
			dict[s] = k
			nwords++
			words = binary.AppendUvarint(words, uint64(len(s)))
			words = append(words, s...)
		}
		cols = binary.AppendUvarint(cols, uint64(k))
	}
	var prevID, prevT, prevSeq int64
	var dev []byte
	for i := range frames {
		f := &frames[i]
		cols = binary.AppendVarint(cols, f.ID-prevID)
		prevID = f.ID
		t := f.ReceivedAt.UnixMicro()
		cols = binary.AppendVarint(cols, t-prevT)
		prevT = t
		cols = binary.AppendVarint(cols, f.BusSeq-prevSeq)
		prevSeq = f.BusSeq
		str(f.Remote)
		str(f.MN)
		str(f.CN)
		str(f.QN)
		str(f.Status)
		str(f.Reason)
		dev = appendJSONStrings(dev[:0], f.Deviations)
		str(string(dev))
		cols = binary.AppendUvarint(cols, uint64(len(f.Raw)))
	}
	enc = binary.AppendUvarint(enc, uint64(nwords))
	enc = append(enc, words...)
	enc = append(enc, cols...)
	for i := range frames {
		enc = append(enc, frames[i].Raw...)
	}
	return sealBlock(enc)
}

// decodeRaw decodes a sealed block of raw frames, appending to dst those
// keep accepts (nil: all), in ID order.
func decodeRaw(dst []model.RawFrame, block []byte, keep func(*model.RawFrame) bool) ([]model.RawFrame, error) {
	enc, err := openBlock(block)
	if err != nil {
		return dst, err
	}
	if len(enc) == 0 || enc[0] != blockRaw {
		return dst, fmt.Errorf("%w: unknown raw block format", errBlockCorrupt)
	}
	r := &blockReader{b: enc[1:]}
	n := r.count()
	nw := r.count()
	words := make([]string, nw)
	for i := range words {
		words[i] = string(r.bytes())
	}
	word := func() string {
		k := r.uvarint()
		if k >= uint64(nw) {
			r.fail()
			return ""
		}
		return words[k]
	}
	frames := make([]model.RawFrame, n)
	lens := make([]uint64, n)
	var id, t, seq int64
	for i := range frames {
		f := &frames[i]
		id += r.varint()
		t += r.varint()
		seq += r.varint()
		f.ID, f.ReceivedAt, f.BusSeq = id, time.UnixMicro(t).UTC(), seq
		f.Remote, f.MN, f.CN, f.QN, f.Status, f.Reason = word(), word(), word(), word(), word(), word()
		if dev := word(); dev != "[]" && r.err == nil {
			if err := jsonStrings(dev, &f.Deviations); err != nil {
				return dst, fmt.Errorf("%w: deviations: %w", errBlockCorrupt, err)
			}
		}
		lens[i] = r.uvarint()
	}
	if r.err != nil {
		return dst, r.err
	}
	for i := range frames {
		if lens[i] > uint64(len(r.b)) {
			r.fail()
			return dst, r.err
		}
		frames[i].Raw = r.b[:lens[i]:lens[i]]
		r.b = r.b[lens[i]:]
	}
	if len(r.b) != 0 {
		return dst, fmt.Errorf("%w: %d trailing bytes", errBlockCorrupt, len(r.b))
	}
	for i := range frames {
		if keep == nil || keep(&frames[i]) {
			dst = append(dst, frames[i])
		}
	}
	return dst, nil
}

func jsonStrings(s string, dst *[]string) error { return json.Unmarshal([]byte(s), dst) }
