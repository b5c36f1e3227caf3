package hj212

// Version is the protocol edition carried in the Flag version bits
// (HJ 212-2017 §6.3.2, table 3: Flag bits V5..V0).
type Version int

// Protocol editions. V2005 is also assumed for frames without Flag.
const (
	V2005 Version = 0 // HJ/T 212-2005
	V2017 Version = 1 // HJ 212-2017
	V2025 Version = 2 // HJ 212-2025
)

// Mode selects how strictly frames are checked.
type Mode int

const (
	// Strict follows the standard to the letter and rejects deviations.
	Strict Mode = iota
	// Tolerant accepts what real devices send and records each deviation
	// on the decoded frame.
	Tolerant
)

// Options configures decoding.
type Options struct {
	Mode Mode
	// AcceptModbusCRC accepts a CRC-16/MODBUS with its bytes swapped, a
	// quirk of some field devices. Only set it for devices configured so.
	AcceptModbusCRC bool
	// MaxSegment bounds the data segment length. Zero means 1024 in Strict
	// mode (§6.3.1) and 9999 in Tolerant mode (the most LLLL can say).
	MaxSegment int
}

// Pair is one `Key=Value` item of the CP data area, in the order sent.
type Pair struct {
	Key, Value []byte
}

// Frame is a decoded HJ 212 frame.
//
// Byte-slice fields alias the buffer passed to Decode and are valid only
// until that buffer is reused; call Clone to keep a frame.
type Frame struct {
	QN, ST, CN, PW, MN []byte
	Flag               int // -1 when absent
	PNUM, PNO          int // 0 when absent
	Version            Version
	CP                 []Pair
	Length             int    // the LLLL field as sent
	CRC                uint16 // the CRC as sent
	CRCOK              bool   // CRC matched (Appendix A, or Modbus where accepted)
	Deviations         Deviation
}

// String returns the edition's year, "2005", "2017" or "2025", or "v<n>"
// for version bits no known edition uses.
func (v Version) String() string {
	switch v {
	case V2005:
		return "2005"
	case V2017:
		return "2017"
	case V2025:
		return "2025"
	}
	return "v" + string(appendDigits(nil, int(v), 1))
}
