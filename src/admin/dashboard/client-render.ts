/**
 * @module admin/dashboard/client-render
 * The page's rendering half (browser JavaScript, as text: the page has no build step).
 * Rows are created once per server and then updated in place, so a weight being typed or
 * an open history survives the updates. Every value from /status goes in as text, never
 * as markup (reasons quote origin errors).
 */
export const RENDER_SCRIPT = String.raw`'use strict';
var SPARK_POINTS = 60;
var series = new Map();
var openHistory = new Set();
var COLUMNS = ['server', 'state', 'why', 'last check', 'weight', 'req/s', 'err/s', 'breaker', 'actions'];

function el(tag, attrs, children) {
  var e = document.createElement(tag);
  for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
  (children || []).forEach(function (c) { e.append(c); });
  return e;
}
function ago(iso) {
  var s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60 ? s + ' s ago' : s < 3600 ? Math.round(s / 60) + ' min ago' : Math.round(s / 3600) + ' h ago';
}
function fmt(n, unit) {
  if (n === null || n === undefined) return '–';
  return (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)) + (unit || '');
}
function push(key, value) {
  var s = series.get(key);
  if (!s) series.set(key, (s = []));
  s.push(value);
  if (s.length > SPARK_POINTS) s.shift();
  return s;
}
function spark() {
  var svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', '0 0 ' + (SPARK_POINTS - 1) + ' 20');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.append(document.createElementNS('http://www.w3.org/2000/svg', 'polyline'));
  return svg;
}
// Draws a series (null = no data: a gap) scaled to its own maximum.
function drawSpark(cell, values) {
  var max = Math.max.apply(null, values.map(function (v) { return v || 0; }).concat([1e-9]));
  var offset = SPARK_POINTS - values.length, pts = [];
  values.forEach(function (v, i) { if (v !== null) pts.push((offset + i) + ',' + (19 - (v / max) * 18).toFixed(2)); });
  cell.querySelector('polyline').setAttribute('points', pts.join(' '));
  var last = values.length ? values[values.length - 1] : null;
  cell.querySelector('.num').textContent = fmt(last, cell.dataset.unit);
  cell.dataset.points = String(pts.length);
}
function checkText(c) {
  return c ? c.detail + ' · ' + c.duration_ms + ' ms · ' + ago(c.at) : 'no check yet';
}
function renderConfig(cfg, at) {
  var box = document.getElementById('config');
  var items = [el('span', { id: 'version' }, ['config version ' + cfg.version]), el('span', {}, ['loaded ' + ago(cfg.loaded_at)])];
  var err = cfg.last_error;
  if (err && Date.parse(err.at) >= Date.parse(cfg.loaded_at)) {
    items.push(el('span', { id: 'reload', class: 'rejected', title: err.errors.join('\n') }, ['last reload (' + err.trigger + ', ' + ago(err.at) + ') rejected: ' + err.errors[0]]));
  } else {
    items.push(el('span', { id: 'reload' }, [cfg.version > 1 ? 'last reload applied' : 'no reload yet']));
  }
  if (cfg.needs_restart && cfg.needs_restart.length) items.push(el('span', { class: 'rejected' }, ['needs restart: ' + cfg.needs_restart.join(', ')]));
  box.replaceChildren.apply(box, items);
  document.getElementById('conn').title = 'last update ' + at;
}
function upstreamMeta(u) {
  var parts = [u.scheduler];
  var o = u.outlier_detection;
  if (o) parts.push('ejected now ' + o.ejected_now + ' · ejections detected ' + (o.detected.consecutive_5xx + o.detected.consecutive_gateway_failures) + ', enforced ' + (o.enforced.consecutive_5xx + o.enforced.consecutive_gateway_failures));
  var b = u.circuit_breaker;
  if (b) parts.push('breaker queue ' + b.pending + (b.overflowed ? ', overflowed ' + b.overflowed : ''));
  if (u.retries) parts.push('retries in flight ' + u.retries.in_flight + ', budget exhausted ' + u.retries.budget_exhausted);
  return parts.join('  |  ');
}
function section(u) {
  var sec = document.querySelector('section[data-upstream="' + CSS.escape(u.name) + '"]');
  if (sec) return sec;
  var p99 = el('span', { class: 'p99', 'data-unit': ' ms' }, ['p99 ', spark(), el('span', { class: 'num' }, ['–'])]);
  var head = el('tr', {}, COLUMNS.map(function (c) { return el('th', {}, [c]); }));
  sec = el('section', { class: 'upstream', 'data-upstream': u.name }, [
    el('h2', {}, [u.name, p99, el('span', { class: 'meta' })]),
    el('table', {}, [el('thead', {}, [head]), el('tbody')]),
  ]);
  document.getElementById('upstreams').append(sec);
  return sec;
}
function serverRow(sec, u, s) {
  var row = sec.querySelector('tr.server[data-server="' + CSS.escape(s.name) + '"]');
  if (row) return row;
  var cells = COLUMNS.map(function () { return el('td'); });
  cells[0].append(el('button', { type: 'button', class: 'name', title: 'show the transition history' }, [s.name]));
  cells[1].className = 'state';
  cells[2].className = 'why';
  cells[3].className = 'check';
  cells[4].className = 'num';
  [5, 6].forEach(function (i) { cells[i].dataset.unit = ''; cells[i].append(spark(), el('span', { class: 'num' })); });
  cells[6].classList.add('err');
  cells[8].className = 'actions';
  ['drain', 'disable', 'enable'].forEach(function (a) { cells[8].append(el('button', { type: 'button', 'data-action': a }, [a]), ' '); });
  cells[8].append(el('input', { type: 'number', min: '1', max: '1000', 'aria-label': 'weight' }), el('button', { type: 'button', 'data-action': 'weight' }, ['set weight']));
  row = el('tr', { class: 'server', 'data-server': s.name, 'data-upstream': u.name }, cells);
  var hist = el('tr', { class: 'history', hidden: '' }, [el('td', { colspan: String(COLUMNS.length) })]);
  row.querySelector('button.name').addEventListener('click', function () {
    var key = u.name + '/' + s.name;
    if (openHistory.has(key)) openHistory.delete(key); else openHistory.add(key);
    hist.hidden = !openHistory.has(key);
  });
  row.querySelector('.actions').addEventListener('click', function (ev) { if (ev.target.dataset.action) act(u.name, s.name, ev.target.dataset.action, row); });
  sec.querySelector('tbody').append(row, hist);
  return row;
}
function renderHistory(row, s) {
  var td = row.nextElementSibling.firstChild;
  var rows = s.history.map(function (t) {
    return el('tr', {}, [el('td', {}, [new Date(t.at).toLocaleTimeString()]), el('td', { class: t.set ? 'set' : 'cleared' }, [(t.set ? 'set ' : 'cleared ') + t.flag]), el('td', {}, [t.reason]), el('td', {}, [t.check ? t.check.detail + ' · ' + t.check.duration_ms + ' ms' : ''])]);
  });
  td.replaceChildren(rows.length ? el('table', {}, [el('tbody', {}, rows)]) : 'no transitions yet');
}
`;
