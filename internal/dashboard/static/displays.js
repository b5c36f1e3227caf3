// The display codes page: making a code posts to the API's
// POST /api/v1/displays and revoking one to …/{id}/revoke, with the
// session's CSRF token. The new code is kept in sessionStorage across the
// reload that brings the list up to date, shown, then removed: it exists
// nowhere else (the server stores its hash only).
(function () {
  'use strict';
  var out = document.getElementById('action-result');
  var KEY = 'ecowatch-new-display-code';
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)ecowatch_csrf=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : '';
  }
  function post(url, body) {
    return fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (res) {
      return res.json().then(function (b) {
        if (!res.ok) { throw (b && b.error) || new Error(res.statusText); }
        return b;
      });
    });
  }
  function fail(btn) {
    return function (err) {
      if (btn) { btn.disabled = false; }
      if (out) { out.className = 'bad'; out.textContent = window.ewError(err); window.scrollTo(0, 0); }
    };
  }

  var code = null;
  try { code = sessionStorage.getItem(KEY); sessionStorage.removeItem(KEY); } catch (e) { code = null; }
  var shown = document.getElementById('display-created');
  if (code && shown) {
    document.getElementById('display-code').textContent = code;
    var link = document.getElementById('display-link');
    link.value = window.location.origin + '/screen/login?code=' + encodeURIComponent(code);
    shown.hidden = false;
    var copy = document.getElementById('display-copy');
    copy.addEventListener('click', function () {
      link.select();
      var done = function () { copy.textContent = copy.getAttribute('data-done'); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(link.value).then(done, function () { document.execCommand('copy'); done(); });
      } else {
        document.execCommand('copy');
        done();
      }
    });
  }

  var form = document.getElementById('display-new');
  if (form) {
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var btn = form.querySelector('button');
      btn.disabled = true;
      post('/api/v1/displays', { name: form.elements.name.value.trim(), days: parseInt(form.elements.days.value, 10) || 0 })
        .then(function (b) {
          // Without session storage (a locked-down browser) the code is
          // shown in a dialog before the reload.
          try { sessionStorage.setItem(KEY, b.code); } catch (e) { window.alert(b.code); }
          window.location.reload();
        })
        .catch(fail(btn));
    });
    // The buttons come disabled: a click before this script has bound
    // them would submit the form natively (a GET of this page).
    form.querySelector('button').disabled = false;
  }
  document.querySelectorAll('form.display-revoke').forEach(function (f) {
    f.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (!window.confirm(f.getAttribute('data-ask'))) { return; }
      var btn = f.querySelector('button');
      btn.disabled = true;
      post('/api/v1/displays/' + encodeURIComponent(f.getAttribute('data-id')) + '/revoke')
        .then(function () { window.location.reload(); })
        .catch(fail(btn));
    });
    f.querySelector('button').disabled = false;
  });
})();
