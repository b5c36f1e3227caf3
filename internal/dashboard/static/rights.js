// The emission-rights page's actions: each form is one ledger command
// (its data-cmd JSON, completed by the form's named fields) posted to the
// API's POST /api/v1/rights/commands with a fresh idempotency key and the
// session's CSRF token — the same rules and audit as the CLI. Quantities
// typed in t/a (data-tonnes) are sent in g/a, dates (data-date) as China
// time, lists (data-list) split on commas. The page reloads when the
// ledger has applied the command and shows the refusal otherwise.
(function () {
  'use strict';
  var out = document.getElementById('action-result');
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)ecowatch_csrf=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : '';
  }
  function key() {
    if (window.crypto && crypto.randomUUID) { return 'page-' + crypto.randomUUID(); }
    return 'page-' + Date.now() + '-' + Math.random().toString(36).slice(2);
  }
  document.querySelectorAll('form.rights-cmd').forEach(function (form) {
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var body = JSON.parse(form.getAttribute('data-cmd'));
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name) { return; }
        var v = el.value;
        if (el.hasAttribute('data-tonnes')) { v = Math.round(parseFloat(v) * 1e6); }
        else if (el.hasAttribute('data-date')) { v = v + 'T00:00:00+08:00'; }
        else if (el.hasAttribute('data-list')) { v = v.split(/[,，、]/).map(function (s) { return s.trim(); }).filter(Boolean); }
        body[el.name] = v;
      });
      var btn = form.querySelector('button');
      if (btn) { btn.disabled = true; }
      fetch('/api/v1/rights/commands', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf(), 'Idempotency-Key': key() },
        body: JSON.stringify(body)
      }).then(function (res) {
        if (res.ok) { return; }
        return res.json().then(function (b) { throw (b && b.error) || new Error(res.statusText); });
      }).then(function () { window.location.reload(); }).catch(function (err) {
        if (btn) { btn.disabled = false; }
        if (out) { out.className = 'bad'; out.textContent = window.ewError(err); window.scrollTo(0, 0); }
      });
    });
  });
})();
