package dashboard

import (
	"context"
	"net/http"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/water/waterreport"
)

// waterStore is what the water page reads (store.Store implements it).
type waterStore interface {
	Registry(ctx context.Context) (*model.Registry, error)
	WaterRegistry(ctx context.Context) (*model.WaterRegistry, error)
	WaterSamples(ctx context.Context, q store.WaterSampleQuery) ([]model.WaterSample, error)
}

// classColours are the display colours of the GB 3838-2002 classes Ⅰ-劣Ⅴ
// as the bureaus' monthly bulletins draw them (a convention, not part of
// the standard): blues for Ⅰ-Ⅱ, green Ⅲ, yellow Ⅳ, orange Ⅴ, red 劣Ⅴ.
var classColours = [7]string{"#cccccc", "#00B0F0", "#0070C0", "#00B050", "#FFFF00", "#FFC000", "#FF0000"}

var classLabels = [7]string{"—", "Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"}

type classInfo struct {
	Label  string
	Colour string
	Count  int
}

type waterData struct {
	Report  *waterreport.Report
	Period  string
	Classes []classInfo // Ⅰ-劣Ⅴ with the assessed sections' counts
}

// classColour returns the colour of a class 1-6 (grey without data).
func classColour(c int) string {
	if c < 1 || c > 6 {
		return classColours[0]
	}
	return classColours[c]
}

func classLabel(c int) string {
	if c < 1 || c > 6 {
		return classLabels[0]
	}
	return classLabels[c]
}

// waterPage: sections against their target classes, the CWQI rankings and
// the drinking-water sources of a month (default: the last ended month),
// quarter or year (?period=YYYY-MM, YYYYQn, YYYY), from waterreport.
func (h *Handler) waterPage(w http.ResponseWriter, r *http.Request, p *page) error {
	ws := h.st
	per := chinatime.PeriodOf(chinatime.Month, h.cfg.Now()).Previous() // the last month that has ended
	if ps := r.URL.Query().Get("period"); ps != "" {
		var err error
		if per, err = chinatime.ParsePeriod(ps, waterreport.Kinds...); err != nil {
			return errStatus(http.StatusBadRequest)
		}
	}
	rep, err := waterreport.Build(r.Context(), ws, per, waterreport.Options{})
	if err != nil {
		return err
	}
	d := &waterData{Report: rep, Period: rep.Period}
	for c := 1; c <= 6; c++ {
		d.Classes = append(d.Classes, classInfo{Label: classLabel(c), Colour: classColour(c), Count: rep.Summary.ByClass[c-1]})
	}
	p.Nav, p.Title, p.Data = "water", p.T("water.title"), d
	return h.render(w, http.StatusOK, "water", p)
}
