// The accountability page's "assess this period": the same three API
// calls the city would make (assessment, compensation, trigger rules with
// cases opened), in order, with the session's CSRF token; the page reloads
// when they are done and shows the refusal otherwise (e.g. a county
// without data, a period no scheme covers).
(function () {
  'use strict';
  var form = document.getElementById('acc-run');
  if (!form) { return; }
  var out = document.getElementById('action-result');
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)ecowatch_csrf=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : '';
  }
  function post(url) {
    return fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf() } }).then(function (res) {
      if (res.ok) { return; }
      return res.json().then(function (b) { throw (b && b.error) || new Error(res.statusText); });
    });
  }
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var p = encodeURIComponent(form.getAttribute('data-period'));
    var btn = form.querySelector('button');
    btn.disabled = true;
    post('/api/v1/accountability/assessment?period=' + p)
      .then(function () { return post('/api/v1/accountability/compensation?period=' + p); })
      .then(function () { return post('/api/v1/accountability/triggers?period=' + p + '&open_cases=true'); })
      .then(function () { window.location.reload(); })
      .catch(function (err) {
        btn.disabled = false;
        if (out) { out.className = 'bad'; out.textContent = window.ewError(err); }
      });
  });
})();

// Adding a compensation formula version (a new provincial notice): the
// form's fields become the version's JSON, posted to the API, which checks
// it and names the field at fault; the page reloads on success.
(function () {
  'use strict';
  var form = document.getElementById('acc-formula');
  if (!form) { return; }
  var out = document.getElementById('formula-result');
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)ecowatch_csrf=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : '';
  }
  function val(n) { return form.elements[n].value.trim(); }
  function num(n) { var v = val(n); return v === '' ? 0 : Number(v); }
  function day(n) { var v = val(n); return v === '' ? undefined : v + 'T00:00:00+08:00'; }
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var factors = {};
    val('factors').split(/\n/).forEach(function (line) {
      var kv = line.split('=');
      if (kv.length === 2 && kv[0].trim() !== '') { factors[kv[0].trim()] = Number(kv[1].trim()); }
    });
    var f = {
      version: val('version'), title: val('title'), title_en: val('title_en'), source: val('source'), notes: val('notes'),
      from: day('from'), kinds: [val('kind')],
      weights: ['pm25', 'pm10', 'so2', 'no2'].filter(function (p) { return num(p) !== 0; })
        .map(function (p) { return { pollutant: p, permille: num(p) }; }),
      yuan_per_ug: num('yuan_per_ug'), yuan_per_point: num('yuan_per_point'),
      factors: factors, default_factor: num('default_factor'), round_yuan: num('round_yuan')
    };
    if (day('to')) {
      // The form asks for the last day in force; the version ends the next midnight.
      var t = new Date(val('to') + 'T00:00:00+08:00');
      t.setTime(t.getTime() + 86400000);
      var cst = new Date(t.getTime() + 8 * 3600000);
      f.to = cst.toISOString().slice(0, 10) + 'T00:00:00+08:00';
    }
    var btn = form.querySelector('button');
    btn.disabled = true;
    fetch('/api/v1/accountability/formulas', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'X-CSRF-Token': csrf(), 'Content-Type': 'application/json' }, body: JSON.stringify(f)
    }).then(function (res) {
      if (res.ok) { window.location.reload(); return; }
      return res.json().then(function (b) { throw (b && b.error) || new Error(res.statusText); });
    }).catch(function (err) {
      btn.disabled = false;
      if (out) { out.className = 'bad'; out.textContent = window.ewError(err); }
    });
  });
})();
