// ecowatch case page: each action form posts to the JSON API
// (POST /api/v1/cases/{id}/actions) with the case's Seq (so two people
// acting at once cannot both succeed on the same version) and the
// session's CSRF token (double submit: the ecowatch_csrf cookie echoed in
// X-CSRF-Token). Evidence files are uploaded first (POST
// /api/v1/evidence) and the submit carries their hashes.
(function () {
  'use strict';
  var box = document.getElementById('actions');
  if (!box) { return; }
  var id = box.getAttribute('data-case');
  var seq = parseInt(box.getAttribute('data-seq'), 10);
  var out = document.getElementById('action-result');
  var labels = {};
  try { labels = JSON.parse(document.getElementById('case-labels').textContent); } catch (e) { labels = {}; }
  var en = document.documentElement.lang === 'en';

  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)ecowatch_csrf=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : '';
  }
  function headers(type) {
    var h = { 'X-CSRF-Token': csrf() };
    if (type) { h['Content-Type'] = type; }
    return h;
  }
  function fail(err) {
    var msg = window.ewError(err);
    if (err && err.allowed) {
      var next = err.allowed.map(function (m) { return (labels['act:' + m.action] || m.action) + ' → ' + (labels[m.to] || m.to); });
      msg += (en ? ' Allowed: ' : ' 当前允许：') + (next.length ? next.join(', ') : (en ? 'nothing' : '无'));
    }
    out.className = 'bad';
    out.textContent = msg;
  }
  function answer(res) {
    return res.json().then(function (body) {
      if (!res.ok) { throw (body && body.error) || new Error(res.statusText); }
      return body;
    });
  }
  function upload(files) {
    var hashes = [];
    var chain = Promise.resolve();
    Array.prototype.forEach.call(files, function (f) {
      chain = chain.then(function () {
        return fetch('/api/v1/evidence?name=' + encodeURIComponent(f.name), {
          method: 'POST', credentials: 'same-origin', headers: headers(f.type || 'application/octet-stream'), body: f
        }).then(answer).then(function (a) { hashes.push(a.hash); });
      });
    });
    return chain.then(function () { return hashes; });
  }

  box.querySelectorAll('form.case-action').forEach(function (form) {
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var action = { kind: form.getAttribute('data-action'), seq: seq };
      var f = form.elements;
      if (f.reason) { action.reason = f.reason.value; }
      if (f.assignees) {
        // A select of users (several may be chosen), or a typed list.
        action.assignees = f.assignees.options
          ? Array.prototype.filter.call(f.assignees.options, function (o) { return o.selected && o.value; }).map(function (o) { return o.value; })
          : f.assignees.value.split(/[,，\s]+/).filter(Boolean);
      }
      if (f.report) { action.report = f.report.value; }
      // A date is the end of that day in China Standard Time.
      if (f.due) { action.due = f.due.value + 'T23:59:59+08:00'; }
      var files = f.evidence ? f.evidence.files : [];
      out.className = 'muted';
      out.textContent = '…';
      upload(files).then(function (hashes) {
        if (hashes.length) { action.evidence = hashes; }
        return fetch('/api/v1/cases/' + encodeURIComponent(id) + '/actions', {
          method: 'POST', credentials: 'same-origin', headers: headers('application/json'), body: JSON.stringify(action)
        }).then(answer);
      }).then(function () {
        window.location.reload();
      }).catch(fail);
    });
  });
})();

// Generic API forms (the petitions desk's reply and callback): the named
// fields as a JSON body (data-int fields as numbers), posted with the
// CSRF token; the page reloads on success and shows the refusal if not.
(function () {
  'use strict';
  var out = document.getElementById('action-result');
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)ecowatch_csrf=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : '';
  }
  document.querySelectorAll('form.api-form').forEach(function (form) {
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var body = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name) { return; }
        body[el.name] = el.hasAttribute('data-int') ? parseInt(el.value, 10) : el.value;
      });
      fetch(form.getAttribute('data-url'), {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() }, body: JSON.stringify(body)
      }).then(function (res) {
        return res.json().then(function (b) {
          if (!res.ok) { throw (b && b.error) || new Error(res.statusText); }
        });
      }).then(function () { window.location.reload(); }).catch(function (err) {
        if (out) { out.className = 'bad'; out.textContent = window.ewError(err); }
      });
    });
  });
})();
