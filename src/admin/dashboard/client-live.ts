/**
 * @module admin/dashboard/client-live
 * The page's live half (browser JavaScript, as text): it checks the token with a GET of
 * /status, then follows the /live WebSocket (subprotocol `bulwark.v1`, the token offered as
 * `bulwark.token.<base64url>`: a browser cannot set Authorization on a WebSocket), and
 * sends the drain/disable/enable/weight buttons to the runtime API with
 * `Authorization: Bearer`. The token stays in sessionStorage (this tab only).
 */
export const LIVE_SCRIPT = String.raw`
var TOKEN_KEY = 'bulwark.admin_token';
var socket = null, retry = null;

function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }
function authHeaders() { return token() ? { authorization: 'Bearer ' + token() } : {}; }
function notice(text, info) {
  var n = document.getElementById('notice');
  n.hidden = !text;
  n.className = info ? 'info' : '';
  n.textContent = text || '';
}
function connState(text, cls) {
  var c = document.getElementById('conn');
  c.textContent = text;
  c.className = cls;
}
function render(status, rates) {
  renderConfig(status.config, new Date().toISOString());
  var seen = new Set();
  status.upstreams.forEach(function (u) {
    var sec = section(u);
    seen.add(sec);
    sec.querySelector('.meta').textContent = upstreamMeta(u);
    if (rates) drawSpark(sec.querySelector('.p99'), push(u.name, rates.p99_ms[u.name] === undefined ? null : rates.p99_ms[u.name]));
    var rows = new Set();
    u.servers.forEach(function (s) {
      var row = serverRow(sec, u, s), c = row.children, key = u.name + '/' + s.name;
      rows.add(row);
      row.dataset.available = String(s.available);
      c[1].textContent = s.available ? 'available' : 'unavailable';
      c[2].replaceChildren.apply(c[2], s.flags.length ? s.flags.map(function (f) { return el('div', {}, [el('b', {}, [f]), ': ' + s.flag_details[f].reason + ' (' + ago(s.flag_details[f].since) + ')']); }) : [s.backup ? 'backup server' : '']);
      c[3].textContent = checkText(s.last_check);
      c[3].classList.toggle('failed', !!s.last_check && !s.last_check.ok);
      c[4].textContent = s.effective_weight === s.weight ? String(s.weight) : fmt(s.effective_weight) + ' / ' + s.weight;
      var r = rates && rates.servers[key];
      if (rates) { drawSpark(c[5], push(key + ' rps', r ? r.rps : null)); drawSpark(c[6], push(key + ' eps', r ? r.eps : null)); }
      var state = u.circuit_breaker ? u.circuit_breaker.states[s.name] : undefined;
      c[7].textContent = state || '–';
      c[7].className = state ? 'breaker-' + state : '';
      renderHistory(row, s);
    });
    sec.querySelectorAll('tr.server').forEach(function (row) { if (!rows.has(row)) { row.nextElementSibling.remove(); row.remove(); } });
  });
  document.querySelectorAll('section.upstream').forEach(function (sec) { if (!seen.has(sec)) sec.remove(); });
}
// base64url of the UTF-8 token: a subprotocol must be an RFC 7230 token.
function tokenProtocol() {
  var bin = Array.from(new TextEncoder().encode(token()), function (b) { return String.fromCharCode(b); }).join('');
  return 'bulwark.token.' + btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
function later() {
  clearTimeout(retry);
  retry = setTimeout(connect, 2000);
}
async function connect() {
  clearTimeout(retry);
  if (socket) { socket.onclose = null; socket.close(); socket = null; }
  connState('connecting', '');
  var res;
  try { res = await fetch('/status', { headers: authHeaders(), cache: 'no-store' }); } catch (e) { connState('admin listener unreachable', 'down'); return later(); }
  if (res.status === 401) {
    connState('needs the admin token', 'down');
    notice(token() ? 'Wrong admin token (401 from /status): enter the value of the variable admin.token_env names.' : 'This admin listener needs its token (admin.token_env): enter it above.');
    document.getElementById('token').focus();
    return;
  }
  if (!res.ok) { connState('/status answered ' + res.status, 'down'); return later(); }
  notice('');
  render(await res.json());
  var protocols = ['bulwark.v1'].concat(token() ? [tokenProtocol()] : []);
  var ws = (socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/live', protocols));
  ws.onopen = function () { connState('live', 'live'); };
  ws.onmessage = function (ev) { var m = JSON.parse(ev.data); if (m.type === 'status') render(m.status, m.rates); };
  ws.onclose = function () { if (socket === ws) { socket = null; connState('disconnected, retrying', 'down'); later(); } };
}
async function act(upstream, server, action, row) {
  var init = { method: 'POST', headers: authHeaders() };
  if (action === 'weight') {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify({ weight: Number(row.querySelector('.actions input').value) });
  }
  var path = '/servers/' + encodeURIComponent(upstream) + '/' + encodeURIComponent(server) + '/' + action;
  try {
    var res = await fetch(path, init), text = await res.text();
    if (res.status === 401) return notice(action + ' ' + upstream + '/' + server + ' refused: wrong or missing admin token (401). Nothing was changed.');
    if (!res.ok) {
      var body = null;
      try { body = JSON.parse(text); } catch (e) { body = null; }
      return notice(action + ' ' + upstream + '/' + server + ' failed (' + res.status + '): ' + (body && body.error ? body.error : text.trim()));
    }
    notice(action + ' ' + upstream + '/' + server + ': done', true);
  } catch (e) {
    notice(action + ' ' + upstream + '/' + server + ' failed: ' + e.message);
  }
}
document.getElementById('auth').addEventListener('submit', function (ev) {
  ev.preventDefault();
  var input = document.getElementById('token');
  sessionStorage.setItem(TOKEN_KEY, input.value);
  input.value = '';
  connect();
});
connect();
`;
