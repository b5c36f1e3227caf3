// The enterprise desk: the marking form posts the mark (after its
// evidence file, if any) to the JSON API with the session's CSRF token;
// the bureau's review buttons post the review. The page reloads when the
// API accepts, and shows the refusal otherwise.
(function () {
  'use strict';
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)ecowatch_csrf=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : '';
  }
  function send(url, body, type) {
    var h = { 'X-CSRF-Token': csrf() };
    if (type) { h['Content-Type'] = type; }
    return fetch(url, { method: 'POST', credentials: 'same-origin', headers: h, body: body }).then(function (res) {
      return res.json().then(function (b) {
        if (!res.ok) { throw (b && b.error) || new Error(res.statusText); }
        return b;
      });
    });
  }
  // datetime-local is read as China Standard Time.
  function cst(v) { return v ? v + ':00+08:00' : ''; }
  var form = document.getElementById('mark-form');
  var msg = document.getElementById('mark-msg');
  if (form) {
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var btn = document.getElementById('mark-submit');
      btn.disabled = true;
      var f = form.elements.file.files[0];
      var up = f ? send('/api/v1/evidence?name=' + encodeURIComponent(f.name), f) : Promise.resolve(null);
      up.then(function (a) {
        var body = { mn: form.elements.mn.value, type: form.elements.type.value, from: cst(form.elements.from.value),
          to: cst(form.elements.to.value), reason: form.elements.reason.value };
        if (a) { body.evidence = [a.hash]; }
        return send('/api/v1/marks', JSON.stringify(body), 'application/json');
      }).then(function () { window.location.reload(); })
        .catch(function (err) {
          btn.disabled = false;
          msg.className = 'bad';
          msg.textContent = (err && err.message) || String(err);
        });
    });
  }
  document.querySelectorAll('.review-form').forEach(function (rf) {
    rf.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var accept = ev.submitter ? ev.submitter.value === '1' : true;
      var body = { version: parseInt(rf.getAttribute('data-version'), 10), accept: accept, reason: rf.elements.reason.value };
      send('/api/v1/marks/' + encodeURIComponent(rf.getAttribute('data-id')) + '/review', JSON.stringify(body), 'application/json')
        .then(function () { window.location.reload(); })
        .catch(function (err) { window.alert((err && err.message) || String(err)); });
    });
  });
})();
