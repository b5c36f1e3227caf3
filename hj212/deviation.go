package hj212

// Deviation is a set of departures from the standard that a frame showed.
// Tolerant decoding records them on Frame.Deviations; Strict decoding
// rejects most of them (see strictAccepted). Each has a stable name, used
// in logs, the JSON of `ecowatch hj212 decode` and device tolerances.
type Deviation uint32

// The deviations. The numeric values are not stable across releases; the
// names are.
const (
	// DevLowercaseCRC: the CRC is written with lowercase hex digits; the
	// standard's examples use uppercase (HJ 212-2017 Appendix A, C).
	DevLowercaseCRC Deviation = 1 << iota
	// DevModbusCRC: the CRC is CRC-16/MODBUS with its bytes swapped, a
	// device quirk; only accepted with Options.AcceptModbusCRC.
	DevModbusCRC
	// DevOversize: the data segment is longer than 1024 bytes (§6.3.1).
	DevOversize
	// DevLFOnly: the frame ends with LF instead of CR LF (§6.3.1).
	DevLFOnly
	// DevMissingEnding: the frame has no CR LF at all.
	DevMissingEnding
	// DevLengthMismatch: the LLLL field disagrees with the segment length.
	DevLengthMismatch
	// DevMissingQN: a 2017/2025 frame without QN (§6.3.2, table 3).
	DevMissingQN
	// DevEpochQN: QN is a 13-digit Unix time in milliseconds.
	DevEpochQN
	// DevMalformedQN: QN is neither YYYYMMDDhhmmsszzz nor an epoch.
	DevMalformedQN
	// DevMN2005: a 14-character MN (HJ/T 212-2005) in a 2017/2025 frame.
	DevMN2005
	// DevMNLength: an MN that is neither 24 nor (2005) 14 characters.
	DevMNLength
	// DevMalformedPW: PW missing or not 6 characters.
	DevMalformedPW
	// DevUnknownST: ST missing or not in table 5 (§6.6.1).
	DevUnknownST
	// DevUnknownCN: CN not in table 9 of the frame's edition (§6.6.5).
	DevUnknownCN
	// DevMissingFlag: a frame that is 2017 by its QN and MN has no Flag.
	DevMissingFlag
	// DevUnknownVersion: the Flag version bits name no known edition.
	DevUnknownVersion
	// DevSplitFields: PNUM/PNO disagree with the Flag D bit.
	DevSplitFields
	// DevFieldOrder: the header fields are not in table 3's order.
	DevFieldOrder
	// DevDuplicateField: a header field is repeated (the first is used).
	DevDuplicateField
	// DevUnknownHeaderField: a header field that table 3 does not have.
	DevUnknownHeaderField
	// DevSpaceAfterSemicolon: a CP item starts with spaces; the standard's
	// own Appendix C.25 prints "; LA-Rtd=50.1".
	DevSpaceAfterSemicolon
	// DevSpaceBeforeEquals: a CP key ends with spaces, as in the
	// standard's Appendix C.42 "i12003-Info =0".
	DevSpaceBeforeEquals
	// DevBlankCP: the data area holds only spaces, "CP=&& &&", as printed
	// in the standard's Appendix C.4.
	DevBlankCP
	// DevStraySemicolon: an empty CP item, such as a ';' before the
	// closing "&&" or ";;".
	DevStraySemicolon
	// DevCommaBetweenFactors: ',' joins items of different pollutants,
	// where §6.3.3 wants ';'.
	DevCommaBetweenFactors
	// DevUnknownPollutant: a pollutant code not in Appendix B. Never
	// rejected: the code tables are open and devices use local codes.
	DevUnknownPollutant
	// DevUnknownField: a CP field name not in table 4 (e.g. "-ZsCou",
	// electrical "100000-Ia"). Never rejected.
	DevUnknownField
	// DevUnpaddedCRC: the CRC has fewer than four hex digits, its leading
	// zeros dropped ("880" for 0880), a bug of several implementations.
	DevUnpaddedCRC
	// DevMissingMN: no MN, or an empty one ("MN=;"), as sent by a data
	// logger whose MN was never configured (§6.3.2, table 3: MN is
	// mandatory). The frame identifies no device; a receiver keeps it as
	// evidence, never as a device's data.
	DevMissingMN

	devCount = iota
)

var deviationNames = [devCount]string{
	"lowercase-crc",
	"modbus-crc",
	"oversize-segment",
	"lf-only-ending",
	"missing-ending",
	"length-mismatch",
	"missing-qn",
	"epoch-qn",
	"malformed-qn",
	"mn-2005",
	"mn-length",
	"malformed-pw",
	"unknown-st",
	"unknown-cn",
	"missing-flag",
	"unknown-version",
	"split-fields",
	"field-order",
	"duplicate-field",
	"unknown-header-field",
	"space-after-semicolon",
	"space-before-equals",
	"blank-cp",
	"stray-semicolon",
	"comma-between-factors",
	"unknown-pollutant",
	"unknown-field",
	"unpadded-crc",
	"missing-mn",
}

// strictAccepted are the deviations Strict mode records but accepts:
//   - whitespace in CP exactly as the standard itself prints it
//     (Appendix C.25, C.42, C.4), so the standard's own examples decode;
//   - unknown pollutant codes and field names, since Appendix B and
//     table 4 are open lists and evidence must not be lost over a code;
//   - a frame handed over without its CR LF (callers may strip it);
//   - a Modbus CRC, which is only accepted when explicitly configured;
//   - an oversize segment, which is bounded by Options.MaxSegment (1024
//     by default in Strict mode) instead.
const strictAccepted = DevSpaceAfterSemicolon | DevSpaceBeforeEquals | DevBlankCP |
	DevUnknownPollutant | DevUnknownField | DevMissingEnding | DevModbusCRC | DevOversize

// Has reports whether d contains every deviation of x.
func (d Deviation) Has(x Deviation) bool { return d&x == x }

// Strings returns the names of the deviations in d, in a fixed order; an
// empty (non-nil) slice when there are none.
func (d Deviation) Strings() []string {
	s := make([]string, 0, 4)
	for i := range devCount {
		if d&(1<<i) != 0 {
			s = append(s, deviationNames[i])
		}
	}
	return s
}

// String joins the names with ','.
func (d Deviation) String() string {
	var b []byte
	for i, n := range d.Strings() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, n...)
	}
	return string(b)
}

// ParseDeviation returns the deviation with the given name.
func ParseDeviation(name string) (Deviation, bool) {
	for i, n := range deviationNames {
		if n == name {
			return 1 << i, true
		}
	}
	return 0, false
}
