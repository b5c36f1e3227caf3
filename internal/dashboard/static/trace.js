// ecowatch water tracing: draws the river network (#chart-data's
// "network", laid out by the server) as an ECharts graph: reaches as
// links (the upstream path in red), nodes grey, sections blue (the traced
// one red), outfalls triangles, ranked candidates labelled by rank.
(function () {
  'use strict';
  var el = document.getElementById('chart-data');
  var node = document.getElementById('network');
  if (!el || !node || !window.echarts) { return; }
  var net = JSON.parse(el.textContent).network;
  if (!net || !net.nodes) { return; }
  var L = net.labels || {};
  var cats = [{ name: L.node, itemStyle: { color: '#8a9a94' } }, { name: L.section, itemStyle: { color: '#0070C0' } }, { name: L.outfall, itemStyle: { color: '#e6b800' } }];
  var idx = { node: 0, section: 1, outfall: 2 };
  var data = net.nodes.map(function (n) {
    var d = { id: n.id, name: n.name, x: n.x, y: -n.y * 12, category: idx[n.kind], value: n.score || 0 };
    if (n.kind === 'node') { d.symbolSize = 6; d.itemStyle = { color: '#8a9a94' }; d.label = { show: false }; }
    if (n.kind === 'section') {
      d.symbol = 'rect'; d.symbolSize = n.role === 'target' ? 18 : 11;
      d.itemStyle = { color: n.role === 'target' ? '#d62728' : '#0070C0', borderColor: '#222', borderWidth: n.role === 'target' ? 2 : 0 };
      d.label = { show: n.role === 'target', formatter: L.target + ': {b}', position: 'top', fontWeight: 'bold' };
    }
    if (n.kind === 'outfall') {
      d.symbol = 'triangle'; d.symbolSize = n.rank ? 16 : 8;
      d.itemStyle = { color: n.rank ? (n.rank === 1 ? '#ff7f0e' : '#e6b800') : '#b0b0b0' };
      // Only the top three are labelled: a cluster of ranked outfalls on
      // one reach would otherwise be unreadable (the table has them all).
      d.label = { show: !!n.rank && n.rank <= 3, formatter: '#' + n.rank + ' {b}', position: 'bottom', fontSize: 10 };
    }
    return d;
  });
  var links = net.links.map(function (l) {
    return { source: l.source, target: l.target, name: l.name,
      lineStyle: l.on_path ? { color: '#d62728', width: 4 } : { color: '#6fa8dc', width: 2 } };
  });
  var option = {
    tooltip: { formatter: function (p) { return p.dataType === 'edge' ? p.data.name : p.name + (p.value ? ' · ' + p.value.toFixed(2) : ''); } },
    legend: { data: cats.map(function (x) { return x.name; }), top: 0 },
    series: [{ type: 'graph', layout: 'none', roam: true, categories: cats, data: data, links: links,
      edgeSymbol: ['none', 'arrow'], edgeSymbolSize: 6, label: { show: false } }]
  };
  // As the other charts (app.js): a container not laid out yet, hidden or
  // collapsed to zero (a viewport change mid-layout) gives ECharts' graph
  // view no size, and its coordinate system then fails inside init or
  // resize ("Cannot read properties of null (reading '0')"). Draw once the
  // container has a size (resize.js), then follow its size.
  window.ecowatchResize.sized(node, function () {
    var c = echarts.init(node, null, { renderer: 'canvas' });
    c.setOption(option);
    window.ecowatchResize.watch(c, node);
    node.setAttribute('data-drawn', 'true');
  });
})();
