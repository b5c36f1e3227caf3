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
  // File pickers (partial-filepick.html): the native input is hidden, so
  // the chosen names (or "none chosen") show in the span beside its label,
  // in the page's language; a form's reset clears them with the files.
  var sep = /^zh/.test(document.documentElement.lang) ? '、' : ', ';
  document.querySelectorAll('input.filepick-input').forEach(function (inp) {
    var out = document.getElementById(inp.id + '-names');
    if (!out) { return; }
    var show = function () {
      var names = Array.prototype.map.call(inp.files || [], function (f) { return f.name; });
      out.textContent = names.length ? names.join(sep) : out.getAttribute('data-none');
    };
    inp.addEventListener('change', show);
    // reset fires before the form clears its fields.
    if (inp.form) { inp.form.addEventListener('reset', function () { setTimeout(show, 0); }); }
    show(); // a page restored from history keeps its files
  });
  document.querySelectorAll('[data-print]').forEach(function (b) {
    b.addEventListener('click', function () { window.print(); });
  });
})();
