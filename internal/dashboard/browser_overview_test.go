package dashboard_test

import (
	"context"
	"testing"
)

// legendClear is, for the ECharts chart in #id, the overlap in pixels of
// its legend's box with the band from its y axis's name down to the
// plot's bottom (0: clear), and where the legend sits ("above"/"below").
const legendClear = `(function (id) {
  var c = echarts.getInstanceByDom(document.getElementById(id));
  var grid = c.getModel().getComponent('grid').coordinateSystem.getRect();
  var view = c._componentsViews.filter(function (v) { return v.__model && v.__model.mainType === 'legend'; })[0];
  var r = view.group.getBoundingRect().clone();
  r.applyTransform(view.group.getLocalTransform());
  var top = grid.y - 24, bottom = grid.y + grid.height; // 24: the axis name above the plot
  var overlap = Math.max(0, Math.min(r.y + r.height, bottom) - Math.max(r.y, top));
  return { overlap: overlap, where: r.y + r.height <= top ? 'above' : (r.y >= bottom ? 'below' : 'over') };
})`

// TestBrowserOverviewLegend: the overview's 24-hour chart keeps its legend
// clear of the plot and of the axis name — in a row above it on a desktop,
// below it (scrolling) on a phone — in both languages.
func TestBrowserOverviewLegend(t *testing.T) {
	t.Parallel() // its own app and browser context: see browserAppMode
	exe := chromium(t)
	base, _ := browserApp(t)
	ctx, consoleErrors := browser(t, exe)
	shots := screenshotDir(t)
	type clear struct {
		Overlap float64 `json:"overlap"`
		Where   string  `json:"where"`
	}
	forEachViewport(ctx, t, base+"/", `#trend24[data-drawn="true"]`, func(ctx context.Context, t *testing.T, lang string, v viewport) {
		waitInk(ctx, t, "#trend24", 2000)
		got := eval[clear](ctx, t, legendClear+`('trend24')`)
		want := "above"
		if v.phone {
			want = "below"
		}
		if got.Overlap > 0 || got.Where != want {
			t.Errorf("legend %s the plot, overlapping %.0f px; want %s", got.Where, got.Overlap, want)
		}
		eval[bool](ctx, t, `document.getElementById('trend24').scrollIntoView(), true`)
		saveScreenshot(ctx, t, shots, "overview-trend24-"+lang+"-"+v.name, false)
	})
	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
