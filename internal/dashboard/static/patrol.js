// River patrol on a phone: the browser's geolocation track
// (navigator.geolocation.watchPosition) is posted to the patrol API in
// small batches; a problem is recorded at the latest position with photos
// (uploaded first to POST /api/v1/evidence) and opens a case; the end
// posts what is left of the track and shows the patrol's length.
(function () {
  'use strict';
  var box = document.getElementById('patrol');
  if (!box) { return; }
  var id = box.getAttribute('data-patrol') || '';
  var km = parseFloat(box.getAttribute('data-km')) || 0;
  var msg = document.getElementById('patrol-msg');
  var buf = [];          // positions not yet posted
  var last = null;       // the latest accurate position
  var points = parseInt((document.getElementById('pt-points') || {}).textContent, 10) || 0;
  var watch = null, lastFlush = Date.now(), started = Date.now();
  var st = document.getElementById('pt-started');
  if (st) { started = parseInt(st.getAttribute('data-at'), 10) * 1000; }

  function $(x) { return document.getElementById(x); }
  function say(text, bad) { msg.className = bad ? 'bad' : 'muted'; msg.textContent = text; }
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)ecowatch_csrf=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : '';
  }
  function post(url, body, type) {
    var h = { 'Content-Type': type || 'application/json' };
    var t = csrf();
    if (t) { h['X-CSRF-Token'] = t; }
    return fetch(url, { method: 'POST', credentials: 'same-origin', headers: h, body: type ? body : JSON.stringify(body) })
      .then(function (r) {
        return r.json().then(function (j) {
          if (!r.ok) { throw j.error || new Error(r.statusText); }
          return j;
        });
      });
  }
  function hav(a, b) {
    var rad = Math.PI / 180, dLat = (b.lat - a.lat) * rad, dLon = (b.lon - a.lon) * rad;
    var x = Math.sin(dLat / 2) * Math.sin(dLat / 2) + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(x)));
  }
  function show() {
    $('pt-km').textContent = km.toFixed(2);
    $('pt-points').textContent = String(points);
    var s = Math.max(0, Math.floor((Date.now() - started) / 1000));
    var hh = Math.floor(s / 3600), mm = Math.floor(s / 60) % 60, ss = s % 60;
    $('pt-time').textContent = (hh ? hh + ':' : '') + (mm < 10 ? '0' : '') + mm + ':' + (ss < 10 ? '0' : '') + ss;
  }
  function flush() {
    if (!id || !buf.length) { return Promise.resolve(); }
    var batch = buf.splice(0, buf.length);
    lastFlush = Date.now();
    return post('/api/v1/patrols/' + encodeURIComponent(id) + '/track', { points: batch })
      .catch(function (e) { buf = batch.concat(buf); say(window.ewError(e), true); });
  }
  function onPos(pos) {
    var p = { t: new Date(pos.timestamp).toISOString(), lat: pos.coords.latitude, lon: pos.coords.longitude, acc: Math.round(pos.coords.accuracy || 0) };
    buf.push(p);
    points++;
    box.setAttribute('data-fixes', String((parseInt(box.getAttribute('data-fixes'), 10) || 0) + 1));
    if (p.acc <= 100) {
      if (last) { km += hav(last, p); }
      last = p;
    }
    $('pt-fix').textContent = p.lat.toFixed(5) + ', ' + p.lon.toFixed(5) + ' ±' + p.acc + ' m';
    show();
    if (buf.length >= 5 || Date.now() - lastFlush > 20000) { flush(); }
  }
  function onErr(err) {
    say(box.getAttribute(err.code === 1 ? 'data-msg-denied' : 'data-msg-nofix'), true);
  }
  function track() {
    if (!navigator.geolocation) { say(box.getAttribute('data-msg-nogeo'), true); return; }
    watch = navigator.geolocation.watchPosition(onPos, onErr, { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
  }
  setInterval(function () { if (id) { show(); if (buf.length && Date.now() - lastFlush > 20000) { flush(); } } }, 1000);

  var startForm = $('start-form');
  if (startForm) {
    startForm.addEventListener('submit', function (ev) {
      ev.preventDefault();
      startForm.querySelector('button').disabled = true;
      post('/api/v1/patrols/start', { county: startForm.county.value, area: startForm.area.value }).then(function (pt) {
        id = pt.id;
        started = Date.parse(pt.started_at) || Date.now();
        $('patrol-area').textContent = pt.area;
        $('patrol-start').hidden = true;
        $('patrol-live').hidden = false;
        $('finding').hidden = false;
        say('');
        track();
      }).catch(function (e) { say(window.ewError(e), true); startForm.querySelector('button').disabled = false; });
    });
  }
  if (id) { track(); show(); }

  $('end').addEventListener('click', function () {
    var btn = this;
    btn.disabled = true;
    if (watch !== null) { navigator.geolocation.clearWatch(watch); }
    flush().then(function () {
      return post('/api/v1/patrols/' + encodeURIComponent(id) + '/end', {});
    }).then(function (r) {
      id = '';
      $('patrol-live').hidden = true;
      $('finding').hidden = true;
      $('patrol-done').hidden = false;
      $('done-summary').textContent = r.km.toFixed(2) + ' km · ' + r.points + ' · ' + r.findings;
      say(box.getAttribute('data-msg-ended'));
    }).catch(function (e) { say(window.ewError(e), true); btn.disabled = false; });
  });

  var ff = $('finding-form');
  ff.addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (!last) { say(box.getAttribute('data-msg-nofix'), true); return; }
    var files = Array.prototype.slice.call(ff.photos.files || []);
    var at = last;
    ff.querySelector('button').disabled = true;
    var hashes = [];
    var chain = Promise.resolve();
    files.forEach(function (f) {
      chain = chain.then(function () {
        return post('/api/v1/evidence?name=' + encodeURIComponent(f.name), f, f.type || 'application/octet-stream').then(function (a) { hashes.push(a.hash); });
      });
    });
    chain.then(function () {
      return post('/api/v1/patrols/' + encodeURIComponent(id) + '/findings', {
        description: ff.description.value, line: ff.line.value, lat: at.lat, lon: at.lon, photos: hashes
      });
    }).then(function (r) {
      var li = document.createElement('li');
      var a = document.createElement('a');
      a.href = '/cases/' + encodeURIComponent(r.case.id);
      a.textContent = r.case.id;
      var s = document.createElement('span');
      s.className = 'p-st';
      s.textContent = ff.description.value;
      li.appendChild(s);
      li.appendChild(a);
      $('finding-list').appendChild(li);
      $('pt-findings').textContent = String(r.findings);
      say(box.getAttribute('data-msg-saved') + ' ' + r.case.id);
      ff.reset();
    }).catch(function (e) { say(window.ewError(e), true); })
      .then(function () { ff.querySelector('button').disabled = false; });
  });
})();
