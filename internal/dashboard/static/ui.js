// ecowatch dashboard behaviour that needs no chart library: no inline
// handlers (the Content-Security-Policy forbids them).
(function () {
  'use strict';
  document.querySelectorAll('select[data-autosubmit]').forEach(function (s) {
    s.addEventListener('change', function () { s.form.submit(); });
  });
  document.querySelectorAll('[data-print]').forEach(function (b) {
    b.addEventListener('click', function () { window.print(); });
  });
})();
