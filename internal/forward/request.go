package forward

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
)

// Kind is what a frame from the upper platform asks.
type Kind int

const (
	KindIgnore   Kind = iota // nothing to do (a 9013, a reply to a reply)
	KindAck                  // 9014: an upload was received (§6.5.3)
	KindHistory              // 2051/2061/2031: history for BeginTime..EndTime (Appendix C.20-C.23)
	KindGetTime              // 1011: get the device's time (C.2)
	KindSetTime              // 1012: set the device's time (C.3)
	KindTimeouts             // 1000: set OverTime and ReCount (C.1)
	KindOther                // another request: answered, not executed
)

// ExeRtn codes (HJ 212-2017 table 6).
const (
	ExeOK        = 1   // 执行成功
	ExeCondition = 3   // 命令请求条件错误
	ExeNoData    = 100 // 没有数据
)

// Request is a frame from the upper platform, read.
type Request struct {
	Kind       Kind
	QN, CN, MN string
	Begin, End time.Time // KindHistory
	SystemTime time.Time // KindSetTime
	OverTime   time.Duration
	ReCount    int // -1 when absent
	// Bad, when set, is why the request cannot be carried out (answered
	// 9012 ExeRtn=3, 请求条件错误).
	Bad string
}

// NeedsAnswer reports whether the frame asked for 9011/9013 (A = 1), or
// carried no Flag (2005-era platforms).
func needsAnswer(f *hj212.Frame) bool { return f.Flag < 0 || f.Flag&flagA != 0 }

// ReadRequest reads a decoded frame from the upper platform (§6.5: a
// request is answered 9011 QnRtn with its QN, then carried out, then
// 9012 ExeRtn; a notification is answered 9013).
func ReadRequest(f *hj212.Frame) Request {
	r := Request{QN: string(f.QN), CN: string(f.CN), MN: string(f.MN), ReCount: -1}
	switch r.CN {
	case hj212.CNDataAnswer:
		r.Kind = KindAck
	case hj212.CNRequestAnswer, hj212.CNExecuteResult, hj212.CNNotifyAnswer:
		r.Kind = KindIgnore // never answer an answer (§6.5)
	case "2051", "2061", "2031":
		r.Kind = KindHistory
		b, ok1 := f.Get("BeginTime")
		e, ok2 := f.Get("EndTime")
		if !ok1 || !ok2 {
			r.Bad = "BeginTime and EndTime are required"
			break
		}
		var err1, err2 error
		r.Begin, err1 = hj212.ParseTime(bytes.TrimSpace(b))
		r.End, err2 = hj212.ParseTime(bytes.TrimSpace(e))
		switch {
		case err1 != nil:
			r.Bad = fmt.Sprintf("BeginTime %q: %v", b, err1)
		case err2 != nil:
			r.Bad = fmt.Sprintf("EndTime %q: %v", e, err2)
		case r.End.Before(r.Begin):
			r.Bad = "EndTime is before BeginTime"
		}
	case "1011":
		r.Kind = KindGetTime
	case "1012":
		r.Kind = KindSetTime
		v, ok := f.Get("SystemTime")
		if !ok {
			r.Bad = "SystemTime is required"
			break
		}
		t, err := hj212.ParseTime(bytes.TrimSpace(v))
		if err != nil {
			r.Bad = fmt.Sprintf("SystemTime %q: %v", v, err)
		}
		r.SystemTime = t
	case "1000":
		r.Kind = KindTimeouts
		// Table 4: OverTime N2, 0 < n ≤ 99 s; ReCount N2, 0 < n ≤ 99.
		if v, ok := f.Get("OverTime"); ok {
			n, err := strconv.Atoi(string(bytes.TrimSpace(v)))
			if err != nil || n < 1 || n > 99 {
				r.Bad = fmt.Sprintf("OverTime %q: want 1-99 seconds", v)
				break
			}
			r.OverTime = time.Duration(n) * time.Second
		}
		if v, ok := f.Get("ReCount"); ok {
			n, err := strconv.Atoi(string(bytes.TrimSpace(v)))
			if err != nil || n < 1 || n > 99 {
				r.Bad = fmt.Sprintf("ReCount %q: want 1-99", v)
				break
			}
			r.ReCount = n
		}
	default:
		r.Kind = KindOther
		if !needsAnswer(f) {
			r.Kind = KindIgnore
		}
	}
	return r
}

// HistoryPeriod is the period of a history CN: its uploads carry the
// period's start as DataTime (table 4), so [Begin, End] selects periods
// that start in it.
func HistoryPeriod(cn string) time.Duration {
	switch cn {
	case "2061":
		return time.Hour
	case "2031":
		return 24 * time.Hour
	}
	return time.Minute
}
