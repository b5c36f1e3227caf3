// ecowatch command-centre big screen: draws the figures embedded in the
// page (#screen-data) and refreshes them in place every 30 seconds from
// /screen/data.json — no reload, no flash; the charts are updated, not
// rebuilt. The clock ticks in China Standard Time.
(function () {
  'use strict';
  var el = document.getElementById('screen-data');
  if (!el) { return; }
  var data = JSON.parse(el.textContent);
  var body = document.body;
  var lang = body.getAttribute('data-lang') || 'zh';
  var REFRESH_MS = 30000;

  // The clock.
  var clock = document.getElementById('clock');
  var clockDate = document.getElementById('clock-date');
  var fmtTime = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  var fmtDate = new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: 'long', day: 'numeric', weekday: 'long' });
  function tick() {
    var now = new Date();
    clock.textContent = fmtTime.format(now);
    clockDate.textContent = fmtDate.format(now);
  }
  tick();
  setInterval(tick, 1000);

  // Charts: created once when their container has a size, updated with
  // setOption on each refresh.
  var charts = {};
  var hasMap = !!(window.echarts && echarts.getMap && echarts.getMap('聊城'));
  function chart(id) {
    if (charts[id]) { return charts[id]; }
    var node = document.getElementById(id);
    if (!node || !window.echarts || !node.clientWidth || !node.clientHeight) { return null; }
    charts[id] = echarts.init(node, null, { renderer: 'canvas' });
    window.ecowatchResize.watch(charts[id], node);
    return charts[id];
  }
  var axisText = { color: '#b9cff0', fontSize: 14 };
  function rem(n) { return Math.round(n * window.innerWidth / 120); }

  // countyLabels places each county's name just above its own station
  // marker (the one nearest the county's label point), centred on it, and
  // where other markers would cover the name there (the city centre's six
  // stations sit around 东昌府区's label point), further up above them.
  // A name of any length (Linqing City as 临清市) stays on its marker. The
  // names are their own series drawn above the markers on a dark plate;
  // positions are worked out in pixels on the laid-out map, and each
  // item's own is its marker (the tests check the names against it).
  var markerSize = 1.2; // the station markers' diameter, in rem
  var nameFont = { size: 0.9, pad: [0.12, 0.35], gap: 0.15, near: 2.5 };
  var measure = document.createElement('canvas').getContext('2d');
  function countyLabels(c, d) {
    var m = echarts.getMap('聊城');
    var feats = (m && m.geoJSON && m.geoJSON.features) || [];
    var labelOf = {};
    (d.counties || []).forEach(function (r) { labelOf[r.name] = r.label; });
    var r = rem(markerSize) / 2 + 2, fs = rem(nameFont.size), gap = rem(nameFont.gap);
    var h = fs + 2 * rem(nameFont.pad[0]) + 2;
    measure.font = 'bold ' + fs + 'px sans-serif';
    var dots = (d.stations || []).map(function (s) { return c.convertToPixel({ geoIndex: 0 }, [s.value[0], s.value[1]]); })
      .filter(function (p) { return p && isFinite(p[0]) && isFinite(p[1]); });
    var placed = []; // the boxes of the names placed so far
    return feats.filter(function (f) { return f.properties && f.properties.cp; }).map(function (f) {
      var name = labelOf[f.properties.name] || f.properties.name;
      var p = c.convertToPixel({ geoIndex: 0 }, f.properties.cp);
      if (!p) { return { name: name, value: f.properties.cp }; }
      var own = null, best = rem(nameFont.near);
      dots.forEach(function (s) {
        var dist = Math.hypot(s[0] - p[0], s[1] - p[1]);
        if (dist < best) { best = dist; own = s; }
      });
      var x = own ? own[0] : p[0], y = own ? own[1] - r : p[1], x0 = x;
      var w = measure.measureText(name).width / 2 + rem(nameFont.pad[1]), half = w + r;
      var slack = own ? Math.max(0, w - r) : 0; // how far the name may slide and keep its marker under it
      // Each pass moves the name above one more marker, or aside from (else
      // above) a name placed before it (Dongchangfu District beside Chiping
      // District).
      for (var i = 0; i < dots.length + placed.length + 2; i++) {
        var bottom = y - gap, top = bottom - h, high = Infinity, hit = null;
        dots.forEach(function (s) {
          if (Math.abs(s[0] - x) < half && s[1] - r < bottom && s[1] + r > top) { high = Math.min(high, s[1] - r); }
        });
        if (high !== Infinity) { y = high; continue; }
        placed.forEach(function (b) {
          if (x - w < b.x1 && b.x0 < x + w && top < b.bottom && b.top < bottom) { hit = b; }
        });
        if (!hit) { break; }
        var dx = x < (hit.x0 + hit.x1) / 2 ? hit.x0 - 2 - (x + w) : hit.x1 + 2 - (x - w);
        if (Math.abs(x + dx - x0) <= slack) { x += dx; } else { y = hit.top - 2 + gap; }
      }
      placed.push({ x0: x - w, x1: x + w, top: y - gap - h, bottom: y - gap });
      var item = { name: name, value: c.convertFromPixel({ geoIndex: 0 }, [x, y]) };
      if (own) { item.own = c.convertFromPixel({ geoIndex: 0 }, own); }
      return item;
    });
  }
  function drawMap(d) {
    var c = hasMap && chart('s-map');
    if (!c) { return false; }
    var regions = (d.counties || []).map(function (r) {
      return { name: r.name, value: r.value, label: r.label, itemStyle: { areaColor: r.colour } };
    });
    c.setOption({
      tooltip: { trigger: 'item', formatter: function (p) {
        if (p.seriesType === 'effectScatter') { return p.name + '：AQI ' + p.value[2]; }
        var v = p.data && p.data.value;
        return (p.data && p.data.label || p.name) + (v === null || v === undefined ? '' : '：AQI ' + v);
      } },
      geo: { map: '聊城', roam: false, layoutCenter: ['50%', '50%'], layoutSize: '98%', aspectScale: 0.85,
        itemStyle: { areaColor: '#18365f', borderColor: '#6fb8ff', borderWidth: 1.5, shadowColor: 'rgba(47,140,255,.6)', shadowBlur: 12 },
        label: { show: false },
        emphasis: { label: { show: false }, itemStyle: { areaColor: '#2f6db5' } },
        regions: regions.map(function (r) { return { name: r.name, itemStyle: { areaColor: r.itemStyle.areaColor, opacity: 0.85 } }; }) },
      series: [
        { type: 'map', map: '聊城', geoIndex: 0, data: regions },
        { type: 'effectScatter', coordinateSystem: 'geo', symbolSize: rem(markerSize), rippleEffect: { scale: 2, brushType: 'stroke' }, z: 3,
          data: (d.stations || []).map(function (s) { return { name: s.name, value: s.value, itemStyle: { color: s.colour, borderColor: '#fff', borderWidth: 1 } }; }),
          label: { show: true, formatter: function (p) { return p.value[2]; }, color: '#000', fontSize: rem(0.65), fontWeight: 'bold' } }
      ]
    });
    // The names need the map laid out to know where the markers are.
    c.setOption({ series: [{ id: 'county-names', type: 'scatter', coordinateSystem: 'geo', symbolSize: 0, silent: true, z: 10, tooltip: { show: false },
      data: countyLabels(c, d),
      label: { show: true, position: 'top', distance: rem(nameFont.gap), formatter: '{b}', color: '#fff', fontSize: rem(nameFont.size), fontWeight: 'bold',
        backgroundColor: 'rgba(6,18,42,.72)', padding: [rem(nameFont.pad[0]), rem(nameFont.pad[1])], borderRadius: rem(0.2) } }] });
    return true;
  }
  // drawRanking draws a bar per county with its name above the bar, not
  // beside it: a long name (Liaocheng Economic and Technological
  // Development Zone) takes no width from the bars, in either language.
  function drawRanking(d) {
    var c = chart('s-ranking');
    if (!c) { return false; }
    var rows = (d.ranking || []).slice().reverse(); // best at the top
    var fs = rem(0.8), top = fs + 4;
    var band = (c.getHeight() - top - 4) / Math.max(rows.length, 1);
    var bar = Math.max(4, Math.min(Math.round(band - fs - 6), rem(1.1)));
    c.setOption({
      grid: { left: 8, right: rem(2.4), top: top, bottom: 4, containLabel: false },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'value', axisLabel: { show: false }, splitLine: { lineStyle: { color: '#17365f' } } },
      yAxis: { type: 'category', data: rows.map(function (r) { return r.name; }), axisTick: { show: false }, axisLine: { lineStyle: { color: '#2a5b9a' } },
        axisLabel: { inside: true, align: 'left', verticalAlign: 'bottom', margin: 2, padding: [0, 0, bar / 2 + 2, 0], color: '#d8e6ff', fontSize: fs } },
      series: [{ type: 'bar', barWidth: bar, data: rows.map(function (r) {
        var v = r.pm25;
        var target = d.pm25 ? parseFloat(d.pm25.Target) : NaN;
        return { value: v, itemStyle: { borderRadius: [0, 4, 4, 0], color: (v !== null && v > target) ? '#ff7e00' : '#33c1ff' } };
      }), label: { show: true, position: 'right', color: '#fff', fontSize: fs } }]
    });
    return true;
  }
  function drawCases(d) {
    var c = chart('s-cases');
    if (!c) { return false; }
    var st = (d.cases && d.cases.ByState) || [];
    c.setOption({
      grid: { left: 8, right: 8, top: 28, bottom: 4, containLabel: true },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'category', data: st.map(function (s) { return s.label; }), axisLabel: { color: '#d8e6ff', fontSize: rem(0.75), interval: 0 }, axisLine: { lineStyle: { color: '#2a5b9a' } } },
      // Whole cases, and few ticks: the chart gets what room the column
      // leaves (a long alarm list costs it lines), and six labels in 60 px
      // would overlap.
      yAxis: { type: 'value', minInterval: 1, splitNumber: 3, axisLabel: axisText, splitLine: { lineStyle: { color: '#17365f' } } },
      series: [{ type: 'bar', barWidth: '55%', data: st.map(function (s) { return { value: s.n, itemStyle: { color: s.state === 'closed' ? '#33d17a' : '#3fa9ff', borderRadius: [4, 4, 0, 0] } }; }),
        label: { show: true, position: 'top', color: '#fff', fontSize: rem(0.85) } }]
    });
    return true;
  }
  var pendingDraw = 0;
  function drawAll(d) {
    var ok = drawMap(d) & drawRanking(d) & drawCases(d);
    // A container not laid out yet: try again next frame (a minute at most).
    if (!ok && pendingDraw < 600) { pendingDraw++; requestAnimationFrame(function () { drawAll(data); }); return; }
    body.setAttribute('data-drawn', 'true');
  }

  // Texts and colours.
  function setTexts(d) {
    var t = d.text || {};
    document.querySelectorAll('[data-t]').forEach(function (n) {
      var k = n.getAttribute('data-t');
      if (Object.prototype.hasOwnProperty.call(t, k) && n.textContent !== t[k]) { n.textContent = t[k]; }
    });
    var box = document.getElementById('city-aqi-box');
    if (d.city) { box.style.background = d.city.colour; box.style.color = d.city.fg; }
    var w = d.warning || {};
    document.getElementById('warn-label').style.color = w.colour;
    document.getElementById('warn-tile').style.borderColor = w.colour;
    var list = document.getElementById('alarm-list');
    var alarms = (d.alarms && d.alarms.Latest) || [];
    var items = alarms.map(function (a) {
      var li = document.createElement('li');
      [['time', a.Time, ''], ['span', a.County, 's-county'], ['span', a.Title, 's-title']].forEach(function (x) {
        var n = document.createElement(x[0]);
        n.textContent = x[1];
        if (x[2]) { n.className = x[2]; }
        if (x[2] === 's-title') { n.title = x[1]; }
        li.appendChild(n);
      });
      return li;
    });
    if (!items.length) {
      var none = document.createElement('li');
      none.className = 's-none';
      none.textContent = list.getAttribute('data-none');
      items = [none];
    }
    list.replaceChildren.apply(list, items);
  }

  var refreshes = 0;
  function refresh() {
    return fetch('/screen/data.json?lang=' + encodeURIComponent(lang), { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) {
        // The session ended (the display's code expired or was revoked):
        // reload, which leads to the display sign-in.
        if (r.status === 401 || r.status === 403) { window.location.reload(); }
        return r.ok ? r.json() : null;
      })
      .then(function (d) {
        // A failed fetch (network, a session that ended) keeps the figures
        // shown; the next round tries again.
        if (!d) { return false; }
        data = d;
        setTexts(d);
        drawMap(d); drawRanking(d); drawCases(d);
        refreshes++;
        body.setAttribute('data-refreshed', String(refreshes));
        return true;
      })
      .catch(function () { return false; });
  }
  // For tests and operators: refresh now.
  window.ecowatchScreenRefresh = refresh;

  setTexts(data);
  drawAll(data);
  setInterval(refresh, REFRESH_MS);

  // resize.js resizes the charts with the window; the fonts follow the
  // width, so the options are set again after.
  window.ecowatchResize.then(function () { drawMap(data); drawRanking(data); drawCases(data); });
})();
