// ecowatch dashboard charts: reads the page's JSON (#chart-data, written by
// the server) and draws it with the bundled ECharts. No network requests.
(function () {
  'use strict';
  var el = document.getElementById('chart-data');
  if (!el || !window.echarts) { return; }
  var data = JSON.parse(el.textContent);
  function chart(id, option) {
    var node = document.getElementById(id);
    if (!node) { return; }
    // A container not laid out yet has no width: ECharts then computes
    // coordinate systems (the calendar above all) from a zero size and
    // fails inside its resize. Draw once it has a size (resize.js), then
    // follow its size.
    window.ecowatchResize.sized(node, function () {
      var c = echarts.init(node, null, { renderer: 'canvas' });
      c.setOption(typeof option === 'function' ? option(node) : option);
      window.ecowatchResize.watch(c, node, option);
      node.setAttribute('data-drawn', 'true');
    });
  }
  // The CNEMC level scale (HJ 633) for visualMap pieces.
  function pieces(levels) {
    return (levels || []).map(function (l) { return { min: l.min, max: l.max, color: l.colour, label: l.label }; });
  }
  var levels = (data.levels || []).map(function (l) { return { min: l.Min, max: l.Max, colour: l.Colour, label: l.Label }; });
  function colourOf(aqi) {
    for (var i = 0; i < levels.length; i++) { if (aqi <= levels[i].max) { return levels[i].colour; } }
    return levels.length ? levels[levels.length - 1].colour : '#999';
  }
  var grid = { left: 40, right: 16, top: 30, bottom: 30, containLabel: true };

  // The map is registered by liaocheng.js; without it ECharts' geo has no
  // regions and fails on the first resize.
  if (data.map !== undefined && echarts.getMap && echarts.getMap('聊城')) {
    chart('map', {
      tooltip: { trigger: 'item', formatter: function (p) { return p.seriesType === 'scatter' ? p.name + ': AQI ' + p.value[2] : p.name; } },
      geo: { map: '聊城', roam: true, itemStyle: { areaColor: '#eef3f1', borderColor: '#7a8a84' }, label: { show: true, color: '#55615c', fontSize: 11 } },
      series: [{
        type: 'scatter', coordinateSystem: 'geo', symbolSize: 22,
        data: (data.map || []).map(function (s) { return { name: s.name, value: s.value, itemStyle: { color: s.colour, borderColor: '#333', borderWidth: 1 } }; }),
        label: { show: true, formatter: function (p) { return p.value[2]; }, color: '#000', fontSize: 10 }
      }]
    });
  }
  // The 24-hour chart's legend names every city station. Wide, it is a
  // row above the plot with the grid lowered so the axis name sits beneath
  // it (it ran over "AQI"); on a narrow chart (a phone) it goes below the
  // plot and scrolls there. An option function: resize.js sets it again
  // when the width crosses over, so every position is given explicitly.
  if (data.trend24) {
    chart('trend24', function (node) {
      var narrow = node.clientWidth < 560;
      return {
        tooltip: { trigger: 'axis' },
        legend: narrow ? { type: 'scroll', top: 'auto', bottom: 0 } : { type: 'scroll', top: 0, bottom: 'auto' },
        grid: narrow ? { left: 40, right: 16, top: 30, bottom: 40, containLabel: true } : { left: 40, right: 16, top: 52, bottom: 30, containLabel: true },
        xAxis: { type: 'category', data: data.hours }, yAxis: { type: 'value', name: 'AQI' },
        series: data.trend24.map(function (s) { return { name: s.name, type: 'line', data: s.data, connectNulls: false, showSymbol: false }; })
      };
    });
  }
  if (data.aqi30) {
    chart('trend30', {
      tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: grid,
      xAxis: { type: 'category', data: data.dates },
      yAxis: [{ type: 'value', name: 'AQI' }, { type: 'value', name: 'µg/m³' }],
      series: [
        { name: data.labels.aqi, type: 'bar', data: (data.aqi30 || []).map(function (v) { return v === null ? null : { value: v, itemStyle: { color: colourOf(v) } }; }) },
        { name: data.labels.pm25, type: 'line', yAxisIndex: 1, data: data.pm25_30 }
      ]
    });
  }
  if (data.calendar) {
    var y = String(data.year);
    chart('calendar', function (node) {
      // A numeric cell width from the laid-out container ('auto' let the
      // calendar divide by a size it did not have yet).
      var cell = Math.max(6, Math.floor((node.clientWidth - 50) / 54));
      return {
        tooltip: { formatter: function (p) { return p.value[0] + ': AQI ' + p.value[1]; } },
        visualMap: { type: 'piecewise', orient: 'horizontal', left: 'center', bottom: 0, pieces: pieces(levels) },
        calendar: { range: y, top: 30, left: 30, right: 10, cellSize: [cell, 14], yearLabel: { show: false } },
        series: [{ type: 'heatmap', coordinateSystem: 'calendar', data: data.calendar }]
      };
    });
  }
  if (data.aqi && data.hours) {
    var conc = data.conc || {};
    chart('station-hourly', {
      tooltip: { trigger: 'axis' }, legend: { type: 'scroll', top: 0 }, grid: grid,
      xAxis: { type: 'category', data: data.hours },
      yAxis: [{ type: 'value', name: 'AQI' }, { type: 'value', name: 'µg/m³' }],
      series: [{ name: 'AQI', type: 'line', data: data.aqi, showSymbol: false, lineStyle: { width: 3 } }].concat(
        Object.keys(conc).filter(function (k) { return k !== 'CO'; }).map(function (k) {
          return { name: k, type: 'line', yAxisIndex: 1, data: conc[k], showSymbol: false };
        }))
    });
  }
  if (data.day_aqi) {
    chart('station-daily', {
      tooltip: { trigger: 'axis' }, grid: grid,
      xAxis: { type: 'category', data: data.dates }, yAxis: { type: 'value', name: 'AQI' },
      series: [{ name: 'AQI', type: 'bar', data: data.day_aqi.map(function (v, i) { return { value: v, itemStyle: { color: data.day_colour[i] } }; }) }]
    });
  }
  if (data.trend && data.trend.factors) {
    // Small charts grouped by unit, one value axis per unit and at most two
    // per chart: concentrations together, flow apart from O₂ %, temperature
    // beside pressure; the unit names its axis.
    var tr = data.trend;
    (tr.groups || []).forEach(function (g, gi) {
      var units = g.units && g.units.length ? g.units : [''];
      chart('device-trend-' + gi, {
        tooltip: { trigger: 'axis' }, legend: { type: 'scroll', bottom: 0 },
        grid: { left: 12, right: 12, top: 30, bottom: 34, containLabel: true },
        xAxis: { type: 'category', data: tr.dates },
        yAxis: units.map(function (u, i) {
          return { type: 'value', name: u, position: i ? 'right' : 'left', alignTicks: true, axisLine: { show: true },
            splitLine: { show: i === 0 }, nameTextStyle: { fontWeight: 'bold' } };
        }),
        series: g.factors.map(function (f) {
          var u = (tr.units && tr.units[f]) || '';
          return { name: (tr.names && tr.names[f]) || f, type: 'line', yAxisIndex: Math.max(0, units.indexOf(u)), data: tr.avg[f],
            connectNulls: false, showSymbol: false, tooltip: { valueFormatter: function (v) { return v == null ? '—' : v + (u ? ' ' + u : ''); } } };
        })
      });
    });
  }
})();
