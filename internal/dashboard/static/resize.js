// ecowatch chart resizing, shared by the pages that draw with ECharts
// (app.js, trace.js, screen.js; loaded before them): one window resize
// listener for all of a page's charts.
//
// Resize once per frame, after layout, and only charts that are alive and
// have a size: ECharts' resize of a chart whose container is hidden or has
// collapsed to zero (a viewport change mid-layout, a phone rotating)
// computes its coordinate systems from nothing and fails ("Cannot read
// properties of null"). A chart whose option depends on its size (the
// calendar's cell width) gets its option again first.
(function () {
  'use strict';
  var watched = [], after = [], pending = false;
  function resizeAll() {
    pending = false;
    watched.forEach(function (e) {
      if (e.chart.isDisposed() || !e.node.isConnected || !e.node.clientWidth || !e.node.clientHeight) { return; }
      if (typeof e.option === 'function') { e.chart.setOption(e.option(e.node)); }
      e.chart.resize();
    });
    after.forEach(function (f) { f(); });
  }
  window.addEventListener('resize', function () {
    if (!pending) { pending = true; requestAnimationFrame(resizeAll); }
  });
  window.ecowatchResize = {
    // watch resizes chart, drawn in node, with the window; option, if a
    // function of node, gives the chart's option for its new size.
    watch: function (chart, node, option) { watched.push({ chart: chart, node: node, option: option }); },
    // then runs f after each round's resizes (the big screen sets its
    // options again: its fonts follow the width).
    then: function (f) { after.push(f); }
  };
})();
