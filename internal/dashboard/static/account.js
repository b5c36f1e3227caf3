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
