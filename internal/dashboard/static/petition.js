// The public petition form: photos go to POST /api/v1/public/evidence (one
// request each, the body is the file), then the petition to POST
// /api/v1/public/petitions as JSON; the answer's tracking code and the
// rating key (shown this once) are shown.
(function () {
  'use strict';
  var form = document.getElementById('petition-form');
  if (!form) { return; }
  function csrf() {
    // A logged-in user's cookie session needs its CSRF token on writes.
    var m = document.cookie.match(/(?:^|; )ecowatch_csrf=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : '';
  }
  function post(url, body, type) {
    var h = { 'Content-Type': type };
    var t = csrf();
    if (t) { h['X-CSRF-Token'] = t; }
    return fetch(url, { method: 'POST', headers: h, body: body, credentials: 'same-origin' }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) { throw j.error || new Error(r.statusText); }
        return j;
      });
    });
  }
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var err = document.getElementById('petition-error');
    err.hidden = true;
    var files = Array.prototype.slice.call(form.photos.files || []);
    if (files.length > Number(form.getAttribute('data-max-photos'))) {
      err.textContent = form.getAttribute('data-msg-error');
      err.hidden = false;
      return;
    }
    form.querySelector('button[type=submit]').disabled = true;
    Promise.all(files.map(function (f) { return post('/api/v1/public/evidence', f, f.type || 'application/octet-stream'); }))
      .then(function (ups) {
        return post('/api/v1/public/petitions', JSON.stringify({
          category: form.category.value, county: form.county.value, location: form.location.value,
          description: form.description.value, contact: form.contact.value, anonymous: form.anonymous.checked,
          photos: ups.map(function (u) { return u.hash; })
        }), 'application/json');
      })
      .then(function (res) {
        form.hidden = true;
        document.getElementById('tracking-code').textContent = res.code;
        var key = document.getElementById('rating-key');
        if (key) { key.textContent = res.rating_key; }
        document.getElementById('track-link').href = '/petition/track?code=' + encodeURIComponent(res.code);
        document.getElementById('petition-result').hidden = false;
      })
      .catch(function (e) {
        err.textContent = form.getAttribute('data-msg-error') + ' ' + window.ewError(e);
        err.hidden = false;
        form.querySelector('button[type=submit]').disabled = false;
      });
  });
})();

// The petitioner's satisfaction rating (回访) on the tracking page: posted
// with the tracking code (in the address) and the rating key the
// petitioner was given at submission.
(function () {
  'use strict';
  var form = document.getElementById('rate-form');
  if (!form) { return; }
  var out = document.getElementById('rate-result');
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var pick = form.querySelector('input[name=satisfaction]:checked');
    if (!pick) { return; }
    var body = { satisfaction: pick.value };
    if (form.comment.value) { body.comment = form.comment.value; }
    // Only the petitioner rates: the rating key shown once at submission.
    body.rating_key = form.rating_key.value.trim();
    form.querySelector('button[type=submit]').disabled = true;
    fetch('/api/v1/public/petitions/' + encodeURIComponent(form.getAttribute('data-code')) + '/callback', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), credentials: 'same-origin'
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) { throw j.error || new Error(r.statusText); }
        form.hidden = true;
        out.className = '';
        out.textContent = form.getAttribute('data-msg-done');
      });
    }).catch(function (e) {
      out.className = 'bad';
      out.textContent = window.ewError(e);
      form.querySelector('button[type=submit]').disabled = false;
    });
  });
})();
