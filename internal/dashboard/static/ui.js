// ecowatch dashboard behaviour that needs no chart library: no inline
// handlers (the Content-Security-Policy forbids them).
(function () {
  'use strict';
  // ewError is the text a page shows for a refusal of the JSON API (the
  // body's error object) or a failed fetch: an English page shows the API's
  // message; a Chinese page the catalogue's message for the engine's reason,
  // else for the error's code, with the field at fault named (the Go side's
  // errorText follows the same rule).
  var msgs = null;
  var el = document.getElementById('ew-msgs');
  if (el) { try { msgs = JSON.parse(el.textContent); } catch (e) { msgs = null; } }
  window.ewError = function (err) {
    if (!msgs) { return (err && err.message) || String(err); }
    if (!err || !err.code) { return err instanceof TypeError ? msgs['network'] : msgs['generic']; }
    var s = (err.reason && msgs['reason.' + err.reason]) || msgs['code.' + err.code] || msgs['generic'];
    var f = err.field && msgs['field.' + String(err.field).split(/[[.]/)[0]];
    return f ? s + '（' + f + '）' : s;
  };
  document.querySelectorAll('select[data-autosubmit]').forEach(function (s) {
    s.addEventListener('change', function () { s.form.submit(); });
  });
  // The phone's one-row menu scrolls sideways: show the current entry.
  var active = document.querySelector('header.top nav a.active');
  if (active && active.parentNode.scrollWidth > active.parentNode.clientWidth) {
    active.parentNode.scrollLeft = active.offsetLeft - active.parentNode.offsetLeft - 40;
  }
  document.querySelectorAll('[data-print]').forEach(function (b) {
    b.addEventListener('click', function () { window.print(); });
  });
})();
