package hj212

import "strconv"

// KV is one CP item to encode.
type KV struct{ Key, Value string }

// Message is a frame to encode. Empty string fields are omitted (a 2005
// upload has no QN); Flag < 0 omits Flag; PNUM and PNO are written when
// PNUM > 0.
type Message struct {
	QN, ST, CN, PW, MN string
	Flag               int
	PNUM, PNO          int
	CP                 []KV
}

// AppendFrame appends m as a complete frame, "##" + LLLL + data segment +
// CRC + CR LF, and returns the extended buffer. The fields are written in
// the standard's order (HJ 212-2017 §6.3.2, table 3). In CP, consecutive
// keys of the same pollutant ("w01018-Rtd", "w01018-Flag") are joined with
// ',' and items are separated by ';' (§6.3.3). It does not allocate when
// dst has room.
func (m *Message) AppendFrame(dst []byte) []byte {
	start := len(dst)
	dst = append(dst, "##0000"...)
	seg := len(dst)
	dst = m.appendSegment(dst)
	return finishFrame(dst, start, seg)
}

// AppendSegment appends only the data segment of m (no "##", length, CRC
// or ending).
func (m *Message) AppendSegment(dst []byte) []byte { return m.appendSegment(dst) }

func (m *Message) appendSegment(dst []byte) []byte {
	field := func(dst []byte, name, v string) []byte {
		if v == "" {
			return dst
		}
		dst = append(dst, name...)
		dst = append(dst, '=')
		dst = append(dst, v...)
		return append(dst, ';')
	}
	dst = field(dst, "QN", m.QN)
	dst = field(dst, "ST", m.ST)
	dst = field(dst, "CN", m.CN)
	dst = field(dst, "PW", m.PW)
	dst = field(dst, "MN", m.MN)
	if m.Flag >= 0 {
		dst = append(dst, "Flag="...)
		dst = strconv.AppendInt(dst, int64(m.Flag), 10)
		dst = append(dst, ';')
	}
	if m.PNUM > 0 {
		// Table 3: PNUM and PNO are four characters wide at most; they are
		// written without padding as in Appendix C.49.
		dst = append(dst, "PNUM="...)
		dst = strconv.AppendInt(dst, int64(m.PNUM), 10)
		dst = append(dst, ";PNO="...)
		dst = strconv.AppendInt(dst, int64(m.PNO), 10)
		dst = append(dst, ';')
	}
	dst = append(dst, "CP=&&"...)
	prev := ""
	for i, kv := range m.CP {
		f, _ := splitKeyString(kv.Key)
		if i > 0 {
			if f != "" && f == prev {
				dst = append(dst, ',')
			} else {
				dst = append(dst, ';')
			}
		}
		prev = f
		dst = append(dst, kv.Key...)
		dst = append(dst, '=')
		dst = append(dst, kv.Value...)
	}
	return append(dst, "&&"...)
}

func splitKeyString(key string) (factor, field string) {
	for i := 0; i < len(key); i++ {
		if key[i] == '-' {
			return key[:i], key[i+1:]
		}
	}
	return "", key
}

// AppendFrame appends segment wrapped as a frame: "##", the four-digit
// length, the segment, its CRC16 as four uppercase hex digits and CR LF
// (HJ 212-2017 §6.3.1, table 2). The length counts bytes, so UTF-8 text in
// the segment is counted as sent. A segment longer than 9999 bytes cannot
// be expressed in LLLL; its length is written in full and the frame is
// invalid: split such data into packets (PNUM/PNO) instead.
func AppendFrame(dst, segment []byte) []byte {
	start := len(dst)
	dst = append(dst, "##0000"...)
	seg := len(dst)
	dst = append(dst, segment...)
	return finishFrame(dst, start, seg)
}

// finishFrame fills in the length placeholder at dst[start+2:start+6] for
// the segment dst[seg:] and appends the CRC and CR LF.
func finishFrame(dst []byte, start, seg int) []byte {
	n := len(dst) - seg
	crc := CRC16(dst[seg:])
	if n > 9999 {
		// Cannot be expressed in four digits; keep the bytes honest.
		digits := strconv.AppendInt(nil, int64(n), 10)
		dst = append(dst[:start+2], append(digits, dst[seg:]...)...)
	} else {
		l := dst[start+2 : start+6]
		for i := 3; i >= 0; i-- {
			l[i] = byte('0' + n%10)
			n /= 10
		}
	}
	dst = appendHex4(dst, crc)
	return append(dst, '\r', '\n')
}

// Reply command codes (HJ 212-2017 §6.6.5, table 9).
const (
	CNRequestAnswer = "9011" // 请求应答, CP QnRtn
	CNExecuteResult = "9012" // 执行结果, CP ExeRtn
	CNNotifyAnswer  = "9013" // 通知应答, empty CP
	CNDataAnswer    = "9014" // 数据应答, empty CP
)

// AppendReply appends the reply to req with command cn (9011, 9012, 9013
// or 9014) and data area cp ("" for 9013/9014, "QnRtn=1", "ExeRtn=1"):
// ST=91, the request's QN, PW and MN, and a Flag that asks for no answer
// (HJ 212-2017 §6.5, Appendix C.1, C.14). The Flag keeps the request's
// protocol version bits: 4 for 2017 and for 2005 devices (which read no
// version), 8 for 2025 devices. A request without QN (2005 uploads) gets a
// reply without QN.
func AppendReply(dst []byte, req *Frame, cn string, cp string) []byte {
	start := len(dst)
	dst = append(dst, "##0000"...)
	seg := len(dst)
	if len(req.QN) > 0 {
		dst = append(dst, "QN="...)
		dst = append(dst, req.QN...)
		dst = append(dst, ';')
	}
	dst = append(dst, "ST=91;CN="...)
	dst = append(dst, cn...)
	dst = append(dst, ";PW="...)
	dst = append(dst, req.PW...)
	dst = append(dst, ";MN="...)
	dst = append(dst, req.MN...)
	flag := 4
	if req.Version >= V2025 {
		flag = int(req.Version) << 2
	}
	dst = append(dst, ";Flag="...)
	dst = strconv.AppendInt(dst, int64(flag), 10)
	dst = append(dst, ";CP=&&"...)
	dst = append(dst, cp...)
	dst = append(dst, "&&"...)
	return finishFrame(dst, start, seg)
}
