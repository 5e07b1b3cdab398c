// The appliance dashboard (GET /ui). Plain script, no build step, no other origin. The state arrives by
// /state/stream (read with fetch, since EventSource cannot send the bearer token); /cluster is polled for what the
// stream does not carry (each peer's PostgreSQL as this node probes it: up/down, timeline, WAL, lag, commits).
// Data is written with textContent and SVG attributes only, never as markup.
'use strict';

const TOKEN_KEY = 'appliance-api-token';
const POLL_MS = 2000;
const WINDOW_MS = 5 * 60 * 1000;
const HISTORY_SHOWN = 200;
// A write outage is measured after its entry is written (when the new primary reports that it takes writes), so an
// entry read without one is read again, for this long after it was written; a change the coordinator could not
// measure (a later change came first) stays without.
const OUTAGE_WAIT_MS = 2 * 60 * 1000;
const SVG = 'http://www.w3.org/2000/svg';
const FAILOVERS = ['SyncTakeover', 'ForcedFailover'];
const MEASURED = ['SyncTakeover', 'Switchover', 'CoordinatorHostRelieved'];
// A standby cluster's own events: it takes no writes before it is promoted, so they carry no write outage.
const STANDBY_EVENTS = { StandbyLeaderReplaced: 'leader-replaced', ClusterPromoted: 'promoted' };
const KIND_LABELS = { failover: 'failover', switchover: 'switchover', 'leader-replaced': 'standby leader replaced', promoted: 'cluster promoted' };
const COLORS = ['#1565c0', '#6a1b9a', '#00838f', '#ef6c00', '#5d4037', '#c2185b'];

const view = {
  state: null,        // the newest StateDto from the stream
  cluster: null,      // the newest /cluster answer
  self: null,         // this node's /status
  history: [],        // /history entries, oldest first
  samples: [],        // {t, lags: {id: bytes}, primary, commits}
  outages: [],        // {primary, from, to}: no writable primary seen between from and to (ms); used only where the
                      // server has no measured outage for an entry
  lastWritable: null, // {id, at}: the last poll that saw a primary take writes
  tokenWaiters: [],
};

const $ = id => document.getElementById(id);

function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }

function headers(extra) {
  const h = Object.assign({}, extra);
  if (token()) h.Authorization = 'Bearer ' + token();
  return h;
}

function say(text) { $('message').textContent = text || ''; }

// Milliseconds as seconds with one decimal, rounded from whole tenths (half away from zero), so that the figure does
// not depend on how a binary fraction such as 1.45 happens to round.
function seconds(ms) { return (Math.round(ms / 100) / 10).toFixed(1); }

// A guarded endpoint refused: say what to give, and let the loops wait until the operator gives a token.
function refusedRead(status, body) {
  const why = body && body.error ? body.error : 'HTTP ' + status;
  say((token() ? 'The token given is refused: ' : 'This node needs a token to show the cluster: ') + why);
  $('token-note').textContent = 'needed';
}

function tokenGiven() {
  return new Promise(resolve => view.tokenWaiters.push(resolve));
}

function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY);
  $('token-note').textContent = value ? 'kept for this tab (sessionStorage)' : 'none';
  say('');
  const waiters = view.tokenWaiters.splice(0);
  waiters.forEach(w => w());
}

async function getJson(path) {
  const r = await fetch(path, { headers: headers(), cache: 'no-store' });
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  return { status: r.status, body };
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

// ---- the stream -----------------------------------------------------------------------------------------------

async function streamLoop() {
  for (;;) {
    let refused = false;
    try {
      const r = await fetch('/state/stream', { headers: headers(), cache: 'no-store' });
      if (r.status === 401 || r.status === 403) {
        refusedRead(r.status, await r.json().catch(() => null));
        refused = true;
      } else if (r.ok && r.body) {
        streamStatus(true, 'live');
        await readEvents(r.body.getReader());
      }
    } catch (e) {
      // The node went away or the connection broke: say so and connect again.
    }
    streamStatus(false, refused ? 'no token' : 'reconnecting…');
    if (refused) await tokenGiven(); else await sleep(1000);
  }
}

function streamStatus(connected, text) {
  const badge = $('stream-status');
  badge.dataset.connected = String(connected);
  badge.textContent = 'stream: ' + text;
}

async function readEvents(reader) {
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message', data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(5).trim();
      }
      if (event === 'state' && data) onState(JSON.parse(data));
    }
  }
}

function onState(state) {
  if (view.state && state.version < view.state.version) return;
  view.state = state;
  renderAll();
  loadHistory();
}

// ---- polling --------------------------------------------------------------------------------------------------

async function clusterLoop() {
  for (;;) {
    try {
      const asked = Date.now();
      const r = await getJson('/cluster');
      if (r.status === 401 || r.status === 403) { refusedRead(r.status, r.body); await tokenGiven(); continue; }
      if (r.status === 200 && r.body) {
        onCluster(r.body, asked, Date.now());
        if (awaitingOutage().length) loadHistory();
      } else say('/cluster answered ' + r.status + (r.body && r.body.error ? ': ' + r.body.error : ''));
    } catch (e) {
      say('This node does not answer (' + e.message + ').');
    }
    await sleep(POLL_MS);
  }
}

async function statusLoop() {
  for (;;) {
    try {
      const r = await getJson('/status');
      if (r.status === 200 && r.body) { view.self = r.body; renderSelf(); renderChain(); }
    } catch (e) { /* the cluster loop says that the node is gone */ }
    await sleep(POLL_MS);
  }
}

// asked and now bound the moment the node probed its peers for this answer.
function onCluster(cluster, asked, now) {
  view.cluster = cluster;
  const sample = { t: now, lags: {}, primary: null, commits: null };
  let writable = null;
  for (const p of cluster.peers || []) {
    if (p.role === 'primary') {
      sample.primary = p.id;
      sample.commits = p.reachable ? p.xactCommit : null;
      if (p.reachable && p.readWrite) writable = p.id;
    } else if (p.lagBytes !== null && p.lagBytes !== undefined && p.role !== 'deposed') {
      sample.lags[p.id] = p.lagBytes;
    }
  }
  noteWrites(writable, asked, now);
  view.samples.push(sample);
  while (view.samples.length && view.samples[0].t < now - WINDOW_MS) view.samples.shift();
  renderAll();
}

// What this page saw of writes: between two answers that found a writable primary, with a change of primary or a
// long gap between them, writes may have stopped. Each answer's probe ran between the request and the answer, so the
// outage lies within [the earlier request, the later answer]: at most that long, never more.
function noteWrites(writable, asked, answered) {
  const last = view.lastWritable;
  if (!writable) return;
  if (last && (last.id !== writable || asked - last.at > POLL_MS * 2.5)) view.outages.push({ primary: writable, from: last.at, to: answered });
  view.lastWritable = { id: writable, at: asked };
}

// Failovers and switchovers read without their measured outage, recently enough that it may still come. Only the
// transitions the coordinator measures (WriteGapWatch.KindOf): a forced failover has no measured outage.
function awaitingOutage() {
  return view.history.filter((e, i) => MEASURED.includes(e.reason) && ['failover', 'switchover'].includes(kindOf(e, view.history[i - 1])) && !e.writeOutage
    && Date.now() - Date.parse(e.at) < OUTAGE_WAIT_MS);
}

async function loadHistory() {
  const latest = view.state ? view.state.version : 0;
  const newest = view.history.length ? view.history[view.history.length - 1].version : Math.max(0, latest - HISTORY_SHOWN);
  const waiting = awaitingOutage();
  const have = waiting.length ? waiting[0].version - 1 : newest;
  if (have >= latest) return;
  try {
    const r = await getJson('/history?since=' + have);
    if (r.status === 401 || r.status === 403) { refusedRead(r.status, r.body); return; }
    if (r.status !== 200 || !Array.isArray(r.body)) return;
    for (const e of r.body) {
      const held = view.history.findIndex(h => h.version === e.version);
      if (held >= 0) view.history[held] = e;
      else if (!view.history.length || e.version > view.history[view.history.length - 1].version) view.history.push(e);
    }
    while (view.history.length > HISTORY_SHOWN) view.history.shift();
    renderHistory();
  } catch (e) { /* tried again at the next state */ }
}

// ---- rendering ------------------------------------------------------------------------------------------------

function el(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function bytes(n) {
  if (n === null || n === undefined) return '?';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : String(n)) + ' ' + units[i];
}

function time(ms) { return new Date(ms).toISOString().slice(11, 19); }

function renderAll() {
  renderSummary();
  renderChain();
  renderCharts();
  renderActions();
  renderHistory();
}

function renderSelf() {
  const s = view.self;
  $('node-name').textContent = s ? s.id : '';
  document.title = 'appliance ' + (s ? s.id : '');
  const notes = [];
  if (s) {
    const role = s.standbyOf && s.role === 'primary' ? 'standby leader, following ' + s.standbyOf : s.role;
    notes.push('This page is served by ' + s.id + ' (' + role + (s.readWrite ? ', takes writes' : '') + ')');
    if (s.selfFenced) notes.push(s.id + ' has fenced itself (the coordinator is silent)');
    if (s.lastError) notes.push('its last error: ' + s.lastError);
  }
  $('self-note').textContent = notes.join('; ') + (notes.length ? '. Self-fencing is known for this node only.' : '');
}

function renderSummary() {
  const s = view.state;
  const banner = $('freeze-banner');
  if (s && s.freeze) {
    banner.hidden = false;
    banner.textContent = 'frozen since ' + String(s.freeze.since).replace('T', ' ').slice(0, 19) + ' UTC: ' + s.freeze.reason;
  } else banner.hidden = true;
  const standby = $('standby-banner');
  if (s && s.standbyOf) {
    standby.hidden = false;
    standby.textContent = 'standby cluster of ' + s.standbyOf + ': takes no writes';
  } else standby.hidden = true;
  $('cluster-summary').textContent = s
    ? 'generation ' + s.generation + ', version ' + s.version + (s.singleton ? ', singleton mode' : '')
    : 'no cluster state yet';
  const refusal = view.cluster && view.cluster.lastRefusal;
  $('refusal').textContent = refusal ? 'Coordinator: ' + refusal.reason + ': ' + refusal.detail : '';
}

const BOX_W = 190, BOX_H = 112, GAP = 46, TOP = 26;

function renderChain() {
  const svg = $('chain');
  const s = view.state;
  svg.replaceChildren();
  const defs = el('defs');
  const marker = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto' });
  marker.appendChild(el('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#90a4ae' }));
  defs.appendChild(marker);
  svg.appendChild(defs);
  if (!s) {
    svg.appendChild(el('text', { x: 10, y: 30 }, 'Waiting for the cluster state…'));
    return;
  }
  const chain = [s.primary, s.sync, ...(s.async || [])].filter(Boolean).map(p => ({ peer: p, role: roleOf(s, p.id) }));
  const apart = [...(s.deposed || []).map(p => ({ peer: p, role: 'deposed' })),
    ...(s.maintenance || []).map(id => ({ peer: { id }, role: 'maintenance' }))];
  const width = Math.max(chain.length, apart.length, 1) * (BOX_W + GAP) + 10;
  const height = TOP + BOX_H + (apart.length ? 40 + BOX_H : 0) + 10;
  svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
  svg.setAttribute('height', String(height));
  svg.setAttribute('width', String(width));
  svg.appendChild(el('text', { class: 'section', x: 4, y: 14 }, 'replication chain' + (s.freeze ? ' (frozen)' : '')));
  chain.forEach((c, i) => {
    const x = 4 + i * (BOX_W + GAP);
    if (i > 0) svg.appendChild(el('line', { class: 'edge', x1: x - GAP, y1: TOP + BOX_H / 2, x2: x - 2, y2: TOP + BOX_H / 2 }));
    svg.appendChild(peerBox(c.peer, c.role, x, TOP, s));
  });
  if (apart.length) {
    const y = TOP + BOX_H + 40;
    svg.appendChild(el('text', { class: 'section', x: 4, y: y - 8 }, 'apart from the chain'));
    apart.forEach((c, i) => svg.appendChild(peerBox(c.peer, c.role, 4 + i * (BOX_W + GAP), y, s)));
  }
}

// A standby cluster's primary is its standby leader: a standby of the source cluster that takes no writes.
function roleOf(s, id) {
  if (s.primary && s.primary.id === id) return s.standbyOf ? 'standby-leader' : 'primary';
  if (s.sync && s.sync.id === id) return 'sync';
  if ((s.async || []).some(p => p.id === id)) return 'async';
  if ((s.deposed || []).some(p => p.id === id)) return 'deposed';
  if ((s.maintenance || []).includes(id)) return 'maintenance';
  return 'unassigned';
}

function probeOf(id) {
  return view.cluster ? (view.cluster.peers || []).find(p => p.id === id) : undefined;
}

function peerBox(peer, role, x, y, s) {
  const probe = probeOf(peer.id);
  const up = probe ? probe.reachable : null;
  const g = el('g', { class: 'peer', 'data-peer': peer.id, 'data-role': role, 'data-postgres': up === null ? 'unknown' : up ? 'up' : 'down' });
  g.appendChild(el('rect', { x, y, width: BOX_W, height: BOX_H, rx: 6 }));
  const line = (i, text, cls) => g.appendChild(el('text', { x: x + 8, y: y + 18 + i * 17, class: cls || '' }, text));
  const leader = role === 'standby-leader';
  g.appendChild(el('text', { x: x + 8, y: y + 18, class: 'role' }, peer.id + ' · ' + (leader ? 'standby leader' : role)));
  if (probe && probe.reachable) {
    line(1, 'timeline ' + (probe.timeline ?? '?') + ' · WAL ' + (probe.walPosition ?? '?'));
    line(2, leader ? 'following ' + s.standbyOf : role === 'primary' ? (probe.readWrite ? 'takes writes' : 'read-only') : 'lag ' + bytes(probe.lagBytes));
    line(3, 'PostgreSQL up');
  } else if (probe) {
    line(1, 'PostgreSQL down', 'down');
    line(2, (probe.error || '').slice(0, 26), 'down');
  } else {
    line(1, 'PostgreSQL: not probed yet');
  }
  const flags = [];
  if (view.self && view.self.id === peer.id && view.self.selfFenced) flags.push('self-fenced');
  if (role === 'maintenance') flags.push('maintenance');
  if (s.freeze && (role === 'primary' || leader)) flags.push('frozen');
  if (flags.length) line(4, flags.join(' · '), 'flag');
  const title = el('title');
  title.textContent = peer.id + (peer.host ? ' ' + peer.host + ':' + peer.port : '') + ' ('
    + (leader ? 'standby leader (following ' + s.standbyOf + ')' : role) + ')';
  g.appendChild(title);
  return g;
}

function renderCharts() {
  const ids = [...new Set(view.samples.flatMap(s => Object.keys(s.lags)))].sort();
  const lagSeries = ids.map((id, i) => ({
    name: id, color: COLORS[i % COLORS.length],
    points: view.samples.filter(s => id in s.lags).map(s => ({ t: s.t, v: s.lags[id] })),
  }));
  drawChart($('lag-chart'), lagSeries, bytes);
  const legend = $('lag-legend');
  legend.replaceChildren(...lagSeries.map(s => {
    const span = document.createElement('span');
    span.textContent = '■ ' + s.name;
    span.style.color = s.color;
    return span;
  }));
  const rates = [];
  for (let i = 1; i < view.samples.length; i++) {
    const a = view.samples[i - 1], b = view.samples[i];
    // Each server counts its own commits: a difference across a change of primary means nothing.
    if (a.primary === b.primary && a.commits !== null && b.commits !== null && b.commits >= a.commits && b.t > a.t)
      rates.push({ t: b.t, v: (b.commits - a.commits) * 1000 / (b.t - a.t) });
  }
  drawChart($('commit-chart'), [{ name: 'commits/s', color: '#2e7d32', points: rates }], v => v.toFixed(0) + '/s');
}

function drawChart(svg, series, format) {
  const width = svg.clientWidth || 400, height = 140, left = 56, bottom = 16;
  svg.replaceChildren();
  svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
  // The axis spans what the page has seen, up to the window: a page opened a minute ago draws that minute in full.
  const now = Date.now();
  const first = Math.min(now - 10000, ...series.flatMap(s => s.points.map(p => p.t)));
  const from = Math.max(now - WINDOW_MS, first), span = now - from;
  const max = Math.max(1, ...series.flatMap(s => s.points.map(p => p.v)));
  svg.appendChild(el('line', { class: 'axis', x1: left, y1: height - bottom, x2: width, y2: height - bottom }));
  svg.appendChild(el('line', { class: 'axis', x1: left, y1: 4, x2: left, y2: height - bottom }));
  svg.appendChild(el('text', { x: 2, y: 14 }, format(max)));
  svg.appendChild(el('text', { x: 2, y: height - bottom }, format(0)));
  svg.appendChild(el('text', { x: left, y: height - 2 }, span >= 60000 ? '−' + Math.round(span / 60000) + ' min' : '−' + Math.round(span / 1000) + ' s'));
  svg.appendChild(el('text', { x: width - 30, y: height - 2 }, 'now'));
  for (const s of series) {
    if (!s.points.length) continue;
    const points = s.points.map(p =>
      (left + (p.t - from) / span * (width - left - 4)).toFixed(1) + ',' + (height - bottom - p.v / max * (height - bottom - 8)).toFixed(1));
    svg.appendChild(el('polyline', { points: points.join(' '), stroke: s.color, 'data-series': s.name }));
  }
  if (!series.some(s => s.points.length))
    svg.appendChild(el('text', { x: left + 10, y: height / 2 }, 'no data yet'));
}

function kindOf(entry, previous) {
  if (FAILOVERS.includes(entry.reason)) return 'failover';
  if (STANDBY_EVENTS[entry.reason]) return STANDBY_EVENTS[entry.reason];
  const before = previous && previous.state.primary ? previous.state.primary.id : null;
  const now = entry.state.primary ? entry.state.primary.id : null;
  return previous && before !== now ? 'switchover' : '';
}

function renderHistory() {
  const list = $('history');
  const items = view.history.map((e, i) => {
    const li = document.createElement('li');
    const kind = kindOf(e, view.history[i - 1]);
    li.className = kind;
    li.dataset.version = String(e.version);
    li.dataset.reason = e.reason;
    const when = document.createElement('span');
    when.className = 'when';
    when.textContent = 'v' + e.version + ' g' + e.generation + ' ' + e.at.replace('T', ' ').slice(0, 19);
    const what = document.createElement('span');
    what.className = 'kind';
    what.textContent = (kind ? KIND_LABELS[kind] + ': ' : '') + e.reason;
    const detail = document.createElement('span');
    const s = e.state;
    detail.textContent = e.detail + ' → primary ' + (s.primary ? s.primary.id : '-') + ', sync ' + (s.sync ? s.sync.id : '-')
      + ((s.deposed || []).length ? ', deposed ' + s.deposed.map(p => p.id).join(',') : '');
    li.append(when, ' ', what, ' ', detail);
    if (kind === 'failover' || kind === 'switchover') li.appendChild(outageNote(e));
    return li;
  });
  list.replaceChildren(...items.reverse());
}

function outageNote(entry) {
  const span = document.createElement('span');
  span.className = 'outage';
  const at = Date.parse(entry.at);
  const primary = entry.state.primary ? entry.state.primary.id : null;
  const measured = entry.writeOutage;
  if (measured) {
    span.dataset.source = 'server';
    span.textContent = 'write outage: ' + (measured.lowerBound ? 'at least ' : '') + seconds(measured.ms)
      + ' s, measured by the coordinator from the nodes\' reports (' + time(Date.parse(measured.startedAt)) + ' to '
      + time(Date.parse(measured.endedAt)) + ')';
    return span;
  }
  const seen = view.outages.find(o => o.primary === primary && o.from <= at + POLL_MS && at - POLL_MS <= o.to);
  span.dataset.source = seen ? 'page' : 'none';
  span.textContent = seen
    ? 'write outage seen by this page: at most ' + ((seen.to - seen.from) / 1000).toFixed(1) + ' s (no writable primary between '
      + time(seen.from) + ' and ' + time(seen.to) + ')'
    : 'write outage: not measured (the coordinator measures it when the new primary reports that it takes writes)';
  return span;
}

function renderActions() {
  const s = view.state;
  const fill = (select, options) => {
    const keep = select.value;
    select.replaceChildren(...options.map(([value, label]) => {
      const o = document.createElement('option');
      o.value = value;
      o.textContent = label;
      return o;
    }));
    if (options.some(([value]) => value === keep)) select.value = keep;
  };
  fill($('switchover-to'), s ? [['', 'the sync (' + (s.sync ? s.sync.id : '-') + ')'], ...(s.async || []).map(p => [p.id, p.id + ' (async)'])] : []);
  fill($('deposed-peer'), s ? (s.deposed || []).map(p => [p.id, p.id]) : []);
}

// ---- operator actions -----------------------------------------------------------------------------------------

async function command(path, body, question) {
  if (!window.confirm(question)) return;
  const out = $('action-result');
  out.textContent = 'sending…';
  try {
    const r = await fetch(path, { method: 'POST', headers: headers({ 'Content-Type': 'application/json' }), body: JSON.stringify(body || {}) });
    let answer = null;
    try { answer = await r.json(); } catch (e) { answer = null; }
    if (r.ok && answer && answer.accepted) out.textContent = 'accepted (' + answer.reason + '): ' + answer.detail;
    else if (answer && answer.reason) out.textContent = 'refused (' + r.status + ' ' + answer.reason + '): ' + answer.detail;
    else out.textContent = 'refused (' + r.status + '): ' + (answer && answer.error ? answer.error : r.statusText);
    out.dataset.status = String(r.status);
  } catch (e) {
    out.textContent = 'not sent: ' + e.message;
  }
}

function generation() { return view.state ? view.state.generation : undefined; }

function wireActions() {
  $('act-freeze').addEventListener('click', () => {
    const reason = window.prompt('Freeze the cluster: no failover or role change happens until it is unfrozen. Why?');
    if (reason === null) return;
    command('/freeze', { reason, generation: generation() }, 'Freeze the cluster (' + reason + ')?');
  });
  $('act-unfreeze').addEventListener('click', () =>
    command('/unfreeze?generation=' + generation(), {}, 'Unfreeze the cluster? Failovers happen again.'));
  $('act-switchover').addEventListener('click', () => {
    const to = $('switchover-to').value;
    command('/switchover', { to: to || null, generation: generation() },
      'Switch over to ' + (to || 'the sync') + '? Writes pause for a moment while the primary moves.');
  });
  $('act-rebuild').addEventListener('click', () => {
    const id = $('deposed-peer').value;
    if (!id) { $('action-result').textContent = 'No deposed peer to rebuild.'; return; }
    command('/rebuild/' + encodeURIComponent(id) + '?generation=' + generation(), {},
      'Rebuild ' + id + '? Its data directory is cloned again from the chain.');
  });
  $('act-reap').addEventListener('click', () => {
    const id = $('deposed-peer').value;
    if (!id) { $('action-result').textContent = 'No deposed peer to reap.'; return; }
    command('/reap/' + encodeURIComponent(id) + '?generation=' + generation(), {}, 'Reap ' + id + '? The cluster forgets it for good.');
  });
  $('token-form').addEventListener('submit', e => {
    e.preventDefault();
    setToken($('token-input').value.trim());
    $('token-input').value = '';
  });
  $('token-forget').addEventListener('click', () => setToken(''));
}

document.addEventListener('DOMContentLoaded', () => {
  $('token-note').textContent = token() ? 'kept for this tab (sessionStorage)' : 'none';
  wireActions();
  renderAll();
  streamLoop();
  clusterLoop();
  statusLoop();
});
