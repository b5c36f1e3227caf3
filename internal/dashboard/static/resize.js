// ecowatch chart resizing, shared by the pages that draw with ECharts
// (app.js, trace.js, screen.js; loaded before them).
//
// A chart follows its container, not just the window: a ResizeObserver
// on every chart's container, besides the window's resize event, starts a
// round. A window resize alone was not enough: one chart's new size can
// change another's container after that chart was resized in the round
// (two charts side by side in a grid: the overview's 24-hour chart was
// resized while its neighbour, not yet shrunk, still held the row open,
// and stayed 348 px wide in a 625 px box), and a container can get its
// size without the window changing (laid out late, shown after hiding).
//
// Resize once per frame, after layout, and only charts that are alive and
// have a size: ECharts' resize of a chart whose container is hidden or has
// collapsed to zero (a viewport change mid-layout, a phone rotating)
// computes its coordinate systems from nothing and fails ("Cannot read
// properties of null"). A chart whose option depends on its size (the
// calendar's cell width) gets its option again first. The observer's
// callback only schedules the round: resizing inside it would change the
// observed boxes while the browser delivers their sizes.
(function () {
  'use strict';
  var watched = [], after = [], pending = false, windowChanged = false;
  function sized(node) { return node.isConnected && node.clientWidth > 0 && node.clientHeight > 0; }
  function resizeAll() {
    pending = false;
    var any = windowChanged;
    windowChanged = false;
    watched.forEach(function (e) {
      if (e.chart.isDisposed() || !sized(e.node)) { return; }
      var w = e.node.clientWidth, h = e.node.clientHeight;
      // The observer reports every watched box, also those that kept
      // their size: only charts whose box changed are drawn again.
      if (w === e.width && h === e.height) { return; }
      e.width = w; e.height = h;
      if (typeof e.option === 'function') { e.chart.setOption(e.option(e.node)); }
      e.chart.resize();
      any = true;
    });
    if (any) { after.forEach(function (f) { f(); }); }
  }
  function schedule() {
    if (!pending) { pending = true; requestAnimationFrame(resizeAll); }
  }
  window.addEventListener('resize', function () { windowChanged = true; schedule(); });
  var observer = window.ResizeObserver ? new ResizeObserver(schedule) : null;
  window.ecowatchResize = {
    // watch resizes chart, drawn in node, with node's box; option, if a
    // function of node, gives the chart's option for its new size.
    watch: function (chart, node, option) {
      watched.push({ chart: chart, node: node, option: option, width: chart.getWidth(), height: chart.getHeight() });
      if (observer) { observer.observe(node); }
    },
    // sized calls f once node has a size, in an animation frame (after
    // layout): at once if it has one, else when its box gets one — a
    // container laid out late or shown only later is drawn then, however
    // long that takes. ECharts must not be started on a box without a
    // size (see above).
    sized: function (node, f) {
      if (sized(node)) { f(); return; }
      if (!observer) {
        // No ResizeObserver (a very old browser): a second's frames.
        var tries = 0;
        (function again() {
          if (sized(node)) { f(); } else if (++tries < 60) { requestAnimationFrame(again); }
        })();
        return;
      }
      var done = false;
      var o = new ResizeObserver(function () {
        requestAnimationFrame(function () {
          if (done || !sized(node)) { return; }
          done = true;
          o.disconnect();
          f();
        });
      });
      o.observe(node);
    },
    // then runs f after each round that resized a chart or followed a
    // window resize (the big screen sets its options again: its fonts
    // follow the width).
    then: function (f) { after.push(f); }
  };
})();
