// sagaforge's read-only web view: hash routes over the admin API (GET only), rendered with
// textContent, polled every 5 s while the page is visible. The read token comes from a form
// or once from the fragment (#token=...), and is kept in sessionStorage only.
'use strict';

const POLL_MS = 5000;
const PAGE = 50;
const view = document.getElementById('view');

// -- token ---------------------------------------------------------------------------------
(function takeTokenFromFragment() {
  const m = location.hash.match(/[#&]token=([^&]*)/);
  if (!m) return;
  sessionStorage.setItem('sagaforge.token', decodeURIComponent(m[1]));
  const rest = location.hash.replace(/[#&]?token=[^&]*/, '');
  history.replaceState(null, '', location.pathname + (rest.startsWith('#') ? rest : '#' + rest.replace(/^&/, '')));
})();
const token = () => sessionStorage.getItem('sagaforge.token') || '';

// -- DOM helpers (text only) ---------------------------------------------------------------
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return e;
}
const link = (href, text) => el('a', { href }, text);
const at = (ms) => (ms > 0 ? new Date(ms).toISOString().replace('T', ' ').replace('Z', '') : '-');
const age = (ms) => (ms < 1000 ? ms + 'ms' : ms < 60000 ? (ms / 1000).toFixed(1) + 's'
  : ms < 3600000 ? Math.floor(ms / 60000) + 'm' : Math.floor(ms / 3600000) + 'h');

function table(headers, rows) {
  const t = el('table', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h))));
  for (const r of rows) t.append(el('tr', {}, ...r.map((c) => (c instanceof Node && c.tagName === 'TD') ? c : el('td', {}, c))));
  if (rows.length === 0) t.append(el('tr', {}, el('td', { colspan: headers.length, class: 'muted' }, 'none')));
  return t;
}
const num = (x) => el('td', { class: 'num' }, x);
const statusCell = (s) => el('td', { class: 'status-' + s }, s);

// -- API -----------------------------------------------------------------------------------
class ApiError extends Error {}
async function api(path) {
  const res = await fetch(path, { headers: { Authorization: 'Bearer ' + token() } });
  let body = null;
  try { body = await res.json(); } catch (e) { /* not JSON */ }
  if (res.status === 401 || res.status === 403) throw new ApiError('the node refused the token (' + res.status + ')');
  if (!res.ok) throw new ApiError((body && body.error ? body.error.code + ': ' + body.error.message : 'HTTP ' + res.status));
  return body;
}

// -- views ---------------------------------------------------------------------------------
async function nodeView() {
  const n = await api('/admin/v1/node');
  const rows = [
    ['data dir', n.data_dir], ['durability', n.durability + ', ' + n.shards + ' shards'],
    ['healthy', n.healthy ? 'yes' : 'NO'], ['ready', n.ready ? 'yes' : 'no'],
    ['entities', n.entities.active + ' active, ' + n.entities.known + ' known'],
    ['commits', n.commit.commits + ' (' + n.commit.steps + ' steps, ' + n.commit.failed + ' failed)'],
    ['dead letters', n.counters.dead_letters], ['crashes', n.counters.crashes],
  ];
  return [el('h2', {}, 'node'), table(['', ''], rows)];
}

async function sagasView(params) {
  const q = new URLSearchParams({ limit: PAGE });
  if (params.status) q.set('status', params.status);
  if (params.after) q.set('after', params.after);
  const page = await api('/admin/v1/sagas?' + q);
  const rows = page.items.map((s) => [
    el('td', {}, link('#/saga/' + encodeURIComponent(s.saga) + '/' + encodeURIComponent(s.id), s.saga + '/' + s.id)),
    statusCell(s.status), s.step, at(s.started_ms), at(s.finished_ms), num(age(s.age_ms))]);
  const filters = el('p', {}, 'status: ',
    ...['', 'RUNNING', 'COMPENSATING', 'COMPLETED', 'COMPENSATED', 'COMPENSATION_FAILED',
      'COMPENSATED_WITH_SKIPS'].map((s) =>
      el('span', {}, link('#/sagas' + (s ? '?status=' + s : ''), s || 'all'), ' ')));
  const out = [el('h2', {}, 'sagas' + (params.status ? ' ' + params.status : '')), filters,
    table(['saga', 'status', 'step', 'started', 'finished', 'age'], rows)];
  if (page.next) {
    const q2 = new URLSearchParams(params); q2.set('after', page.next);
    out.push(el('nav', { class: 'pager' }, link('#/sagas?' + q2, 'next page')));
  }
  return out;
}

async function sagaView(type, id) {
  const s = await api('/v1/sagas/' + encodeURIComponent(id) + '?type=' + encodeURIComponent(type));
  const st = s.state || {};
  const out = [el('h2', {}, type + '/' + id), el('p', {}, 'status: ', el('span', { class: 'status-' + st.status }, st.status),
    st.reason ? ' — ' + st.reason : '', ' · ', link('#/entity/' + type + '/' + encodeURIComponent(id), 'entity view'))];
  if (Array.isArray(st.steps)) {
    out.push(el('h3', {}, 'timeline'), table(['#', 'step', 'status', 'attempts', 'started', 'finished', 'last error'],
      st.steps.map((x, i) => [num(i), x.name, statusCell(x.status), num(x.attempts), at(x.started_ms), at(x.finished_ms), x.last_error || '-'])));
  } else {
    out.push(el('h3', {}, 'timeline'), table(['branch', 'outcome', 'sent', 'resolved', 'detail'],
      ['validation', 'points', 'inventory'].filter((b) => st[b]).map((b) =>
        [b, st[b].outcome, at(st[b].sent_at_ms), at(st[b].resolved_at_ms), st[b].detail])));
  }
  const ledger = st.ledger || st.compensations || [];
  out.push(el('h3', {}, 'compensation ledger'), table(['at', 'kind', 'step', 'detail'],
    ledger.map((x) => [at(x.at_ms), x.kind || '', x.step || '', x.detail || JSON.stringify(x)])));
  return out;
}

async function stuckView() {
  const s = await api('/admin/v1/stuck');
  return [el('h2', {}, 'stuck (no progress for ' + age(s.older_than_ms) + ' or more)'),
    table(['kind', 'ref', 'age', 'reason'], s.items.map((i) => [i.kind,
      el('td', {}, link('#/entity/' + i.ref.split('/').map(encodeURIComponent).join('/'), i.ref)), num(age(i.age_ms)), i.reason]))];
}

async function entityView(type, id) {
  const base = '/admin/v1/entities/' + encodeURIComponent(type) + '/' + encodeURIComponent(id);
  let r;
  try { r = await api(base + '/live'); } catch (e) {
    if (!(e instanceof ApiError) || !/not_active/.test(e.message)) throw e;
    r = await api(base + '?stored=1');
  }
  const j = await api(base + '/journal?limit=' + PAGE);
  return [el('h2', {}, type + '/' + id),
    table(['', ''], [['mode', r.mode], ['event seq', r.event_seq], ['log records', r.last_log_seq],
      ['outbox', r.outbox_size], ['timers', r.timers.length], ['error', r.error || '-']]),
    el('h3', {}, 'state'), el('pre', {}, JSON.stringify(r.state, null, 2)),
    el('h3', {}, 'outbox'), table(['receiver', 'seq', 'type', 'attempts', 'age'],
      r.outbox.map((o) => [o.envelope.receiver, num(o.envelope.channel_seq), o.envelope.type, num(o.attempts), num(age(o.age_ms))])),
    el('h3', {}, 'journal'), table(['log seq', 'at', 'from', 'events', 'sends'],
      j.items.map((s) => [num(s.log_seq), at(s.at_ms), s.inbound || '-',
        s.events.map((e) => (e && typeof e === 'object' ? Object.keys(e)[0] : String(e))).join(', '),
        s.sends.map((e) => e.receiver).join(', ')]))];
}

async function deadLettersView(params) {
  const q = new URLSearchParams({ limit: PAGE, after: params.after || 0 });
  const page = await api('/admin/v1/dead-letters?' + q);
  const out = [el('h2', {}, 'dead letters'), el('p', { class: 'muted' }, 'replay stays in the console (preview and confirmation)'),
    table(['id', 'at', 'receiver', 'type', 'reason', 'attempts', 'replayed', 'last error'],
      page.items.map((d) => [num(d.id), at(d.at_ms), d.envelope.receiver, d.envelope.type, d.reason, num(d.attempts),
        d.replayed ? 'yes' : 'no', d.last_error]))];
  if (page.next) out.push(el('nav', { class: 'pager' }, link('#/dead-letters?after=' + page.next, 'next page')));
  return out;
}

function tokenForm(message) {
  const input = el('input', { type: 'password', placeholder: 'read token', id: 'token' });
  const form = el('form', { class: 'token' }, el('p', { class: 'error' }, message), 'token: ', input, el('button', {}, 'use'));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); sessionStorage.setItem('sagaforge.token', input.value); render(); });
  return [form];
}

// -- routing and polling -------------------------------------------------------------------
function route() {
  const [path, query] = (location.hash.replace(/^#/, '') || '/').split('?');
  const params = Object.fromEntries(new URLSearchParams(query || ''));
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'sagas') return () => sagasView(params);
  if (parts[0] === 'saga' && parts.length === 3) return () => sagaView(parts[1], parts[2]);
  if (parts[0] === 'stuck') return () => stuckView();
  if (parts[0] === 'entity' && parts.length === 3) return () => entityView(parts[1], parts[2]);
  if (parts[0] === 'dead-letters') return () => deadLettersView(params);
  return () => nodeView();
}

let busy = false;
async function render() {
  if (busy) return;
  busy = true;
  try {
    const nodes = token() ? await route()() : tokenForm('give the read token');
    view.replaceChildren(...nodes);
    document.getElementById('clock').textContent = 'updated ' + new Date().toISOString().slice(11, 19);
  } catch (e) {
    view.replaceChildren(...(/token/.test(e.message) ? tokenForm(e.message) : [el('p', { class: 'error' }, e.message)]));
  } finally {
    busy = false;
  }
}

window.addEventListener('hashchange', render);
setInterval(() => { if (document.visibilityState === 'visible' && token()) render(); }, POLL_MS);
render();
