package tracesvc

import (
	"context"
	"fmt"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/water/trace"
)

var cst = chinatime.Zone

// Case drafts the closed-loop case a tracing report opens (source
// "tracing", work line water): against the enterprise of the best-ranked
// outfall with data, in its county, or when no outfall could be assessed
// against nobody, in the section's county, for a patrol to find the
// source. The severity is major when the peak is at least twice the
// limit, else general. The report's readable text is the description;
// Ref names the section, factor and event start so that the same event
// traced twice can be recognised.
func Case(rep *trace.Report, w *model.WaterRegistry, reg *model.Registry) (cases.Case, error) {
	var sec *model.WaterSection
	for i := range w.Sections {
		if w.Sections[i].Code == rep.Section {
			sec = &w.Sections[i]
		}
	}
	if sec == nil {
		return cases.Case{}, fmt.Errorf("trace case: section %q is not in the water registry", rep.Section)
	}
	c := cases.Case{
		Source:      cases.SourceTracing,
		Ref:         fmt.Sprintf("trace:%s:%s:%s", rep.Section, rep.Factor, rep.EventStart.In(cst).Format("2006010215")),
		Line:        "water",
		County:      sec.County,
		Location:    fmt.Sprintf("%s (%s)", sec.Name, sec.Code),
		Lat:         sec.Lat,
		Lon:         sec.Lon,
		Severity:    cases.SeverityGeneral,
		Description: rep.Text(),
	}
	if rep.Limit > 0 && rep.Peak >= 2*rep.Limit {
		c.Severity = cases.SeverityMajor
	}
	names := map[string]model.Enterprise{}
	for _, e := range reg.Enterprises {
		names[e.USCC] = e
	}
	what := fmt.Sprintf("%s %s %s峰值 %.4g (限值 %.4g)", sec.Name, rep.EventStart.In(cst).Format("2006-01-02 15:04"), rep.Factor, rep.Peak, rep.Limit)
	for _, cand := range rep.Candidates {
		if (len(cand.Missing) > 0 && cand.Score == 0) || cand.Enterprise == "" {
			continue
		}
		e := names[cand.Enterprise]
		c.Enterprise = cand.Enterprise
		if e.County != "" {
			c.County = e.County
		}
		c.Title = fmt.Sprintf("溯源: %s; 疑似 %s %s (得分 %.2f)", what, e.Name, cand.Outfall, cand.Score)
		return c, nil
	}
	c.Title = fmt.Sprintf("溯源: %s; 上游排口无数据, 需现场排查", what)
	return c, nil
}

// Registrar registers a case in the closed loop (casesvc.Service).
type Registrar interface {
	Register(ctx context.Context, c cases.Case, p auth.Principal) (cases.Case, error)
}

// OpenCase opens the case of rep (see Case) in the closed loop, registered
// by the tracing system as an alert rule would be; via names the channel
// (cli, api).
func OpenCase(ctx context.Context, st Store, loop Registrar, rep *trace.Report, via string) (cases.Case, error) {
	w, err := st.WaterRegistry(ctx)
	if err != nil {
		return cases.Case{}, err
	}
	reg, err := st.Registry(ctx)
	if err != nil {
		return cases.Case{}, err
	}
	c, err := Case(rep, w, reg)
	if err != nil {
		return cases.Case{}, err
	}
	c, err = loop.Register(ctx, c, auth.Principal{User: "water-trace", Role: model.RoleMachine, Via: via})
	if err != nil {
		return cases.Case{}, fmt.Errorf("open case: %w", err)
	}
	return c, nil
}
