package alertsvc

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Lockout is a device authentication lockout the gateway reports
// (gateway.Lockout, connected by the app's wiring): a source address
// locked out after wrong passwords for registered devices, or a device
// whose password is guessed from several addresses.
type Lockout struct {
	Scope    string // "source" or "device"
	Source   string // the address or IPv6 /64
	Remote   string // ip:port of the connection that tripped it
	MNs      []string
	Failures int
	At       time.Time
	Until    time.Time
}

// lockoutKind is the notification kind of the bureau's alarm.
const lockoutKind = "gateway.auth-lockout"

// ProblemAuthLockout is the case problem type of a password-guessing case.
const ProblemAuthLockout = "device-auth-lockout"

// Lockout queues a lockout for the alarm and the case without blocking;
// when the queue is full it is dropped and counted (the gateway's log and
// metrics still have it).
func (s *Service) Lockout(l Lockout) {
	select {
	case s.locks <- l:
	default:
		s.lockDrops.Add(1)
	}
}

// handleLockout raises the alarm (a notification to the city bureau) and
// opens a case for each attacked device, once per device and China day:
// a store counter keyed by both, so that an attack that goes on, or a
// restart, opens no second case that day.
func (s *Service) handleLockout(ctx context.Context, l Lockout) {
	s.lockouts.Add(1)
	day := l.At.In(cst).Format("20060102")
	var reg *model.Registry
	for _, mn := range l.MNs {
		key := "auth-lockout:" + mn + ":" + day
		n, err := s.st.NextNumber(ctx, key)
		if err != nil {
			s.errs.Add(1)
			s.log.Warn("alerts: lockout counter", "key", key, "err", err)
			continue
		}
		if n > 1 {
			continue
		}
		if reg == nil {
			if reg, err = s.st.Registry(ctx); err != nil {
				s.errs.Add(1)
				s.log.Warn("alerts: lockout: cannot load the registry", "err", err)
				return
			}
		}
		county, ent, line, name := deviceWhere(reg, mn)
		// The device by its enterprise and outlet (or station), its code
		// in parentheses, in each language's punctuation.
		nameZh, nameEN := name, name
		if name != mn {
			nameZh, nameEN = name+"（"+mn+"）", name+" ("+mn+")"
		}
		what := "来源 " + l.Source + " 对设备 " + nameZh
		whatEN := "source " + l.Source + " against device " + nameEN
		if l.Scope == "device" {
			what = "多个来源（最近 " + l.Source + "）对设备 " + nameZh
			whatEN = "several sources (last " + l.Source + ") against device " + nameEN
		}
		until := l.Until.In(cst).Format("2006-01-02 15:04")
		zh := fmt.Sprintf("设备访问密码遭猜测：%s 密码错误 %d 次，已锁定至 %s。", what, l.Failures, until)
		en := fmt.Sprintf("Device password guessing: %s, %d wrong passwords, locked out until %s.", whatEN, l.Failures, until)
		// Each language in its own field: the desk shows the page's.
		if err := s.st.Notify(ctx, store.Notification{Recipient: "city", At: l.At, Kind: lockoutKind, Message: zh, MessageEN: en}); err != nil {
			s.errs.Add(1)
			s.log.Warn("alerts: lockout alarm", "mn", mn, "err", err)
		}
		s.lockAlarms.Add(1)
		if county == "" {
			s.log.Warn("alerts: lockout of a device without a county: alarm only, no case", "mn", mn)
			continue
		}
		c, err := s.cw.Register(ctx, cases.Case{Source: cases.SourceOnline, Ref: key, Line: line, ProblemType: ProblemAuthLockout,
			County: county, Enterprise: ent, Severity: cases.SeverityMajor,
			Title:         "设备访问密码遭猜测：" + nameZh,
			TitleEN:       "Device password guessing: " + nameEN,
			Description:   zh + "请核实设备密码是否泄露并更换；如需要，限定设备的允许来源网段。",
			DescriptionEN: en + " Check whether the password leaked and change it; restrict the device's allowed source networks if needed."},
			casesvc.AlertSystem)
		if err != nil {
			s.errs.Add(1)
			s.log.Warn("alerts: lockout case", "mn", mn, "err", err)
			continue
		}
		s.opened.Add(1)
		s.log.Info("alerts: case opened for device password guessing", "case", c.ID, "mn", mn, "source", l.Source)
	}
}

// deviceWhere finds a device's county, enterprise, case work line and a
// readable name (enterprise and outlet, or station; the MN itself when
// the registry does not place it).
func deviceWhere(reg *model.Registry, mn string) (county, ent, line, name string) {
	name, line = mn, "air-industry"
	var dev *model.Device
	for i := range reg.Devices {
		if reg.Devices[i].MN == mn {
			dev = &reg.Devices[i]
		}
	}
	for _, st := range reg.Stations {
		if st.MN == mn {
			return st.County, "", "air-general", st.Name
		}
	}
	if dev == nil || dev.Outlet == "" {
		return "", "", line, name
	}
	for _, o := range reg.Outlets {
		if o.ID != dev.Outlet {
			continue
		}
		ent = o.Enterprise
		name = o.Name
		if o.Kind == model.OutletWater {
			line = "water"
		}
		for _, e := range reg.Enterprises {
			if e.USCC == ent {
				county = e.County
				name = strings.TrimSpace(e.Name + " " + name)
			}
		}
	}
	return county, ent, line, name
}
