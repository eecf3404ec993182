// The cluster map page: plain JavaScript, no build step. It reads the whole map once from the
// Server-Sent Events stream (/api/stream, event `snapshot`), then replaces one view whenever the
// server pushes it (`zookeeper`, `brokers`, `topics`, `groups`) and adds each `timeline` event.
// EventSource reconnects by itself; each reconnection starts with a fresh snapshot.
'use strict';

const state = { zookeeper: null, controller: {}, brokers: [], topics: [], groups: [], events: [], stream: 'connecting' };
window.__clusterMap = state; // for the curious (and the browser tests): what the page shows
const lastLeaders = new Map(); // "topic/partition" -> leader, to flash a partition whose leader moved

const $ = (id) => document.getElementById(id);
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const time = (ms) => (ms ? new Date(ms).toLocaleTimeString([], { hour12: false }) : '');
const num = (v) => (v === undefined || v === null ? '–' : String(v));

function renderZooKeeper() {
  const z = state.zookeeper;
  if (!z) return;
  const el = $('zk');
  el.dataset.zkState = z.state;
  el.textContent = `ZooKeeper: ${z.state}${z.server ? ` (${z.server})` : ''}`;
  renderBanner();
}

function renderBanner() {
  const z = state.zookeeper;
  const b = $('banner');
  let text = '';
  if (state.stream === 'closed' || state.stream === 'reconnecting') text = 'Lost the connection to the cluster map server; reconnecting… (what you see may be stale)';
  else if (z && z.state !== 'connected') {
    text = z.state === 'connecting'
      ? `Connecting to ZooKeeper ${z.connect}…${z.error ? ` (${z.error})` : ''}`
      : `ZooKeeper is away (${z.state} since ${time(z.since)}): this is what the map last saw; it recovers by itself.`;
  }
  b.hidden = text === '';
  b.textContent = text;
  b.dataset.zkAway = String(!!z && z.state !== 'connected');
}

function renderBrokers() {
  const c = state.controller || {};
  const ctl = $('controller');
  ctl.dataset.controller = c.brokerId ?? '';
  ctl.dataset.epoch = c.epoch ?? '';
  ctl.textContent = c.brokerId === undefined || c.brokerId === null ? 'controller: none' : `controller: broker ${c.brokerId}, epoch ${c.epoch ?? '?'}`;
  $('brokers').innerHTML = state.brokers.map((b) => `
    <div class="broker" data-broker="${b.id}" data-alive="${b.alive}" data-controller="${b.controller}">
      <div><span class="id">${b.id}</span> ${b.controller ? '<span class="crown">★ controller</span>' : ''}
        <span class="badge ${b.alive ? 'ok' : 'bad'}">${b.alive ? 'alive' : 'dead'}</span></div>
      <div>${b.host !== undefined && b.host !== null ? `${esc(b.host)}:${b.port}` : '<span class="muted">no endpoint known</span>'}</div>
      <div class="muted">leads <b data-leader-count>${b.leaderCount}</b> · replicas ${b.replicaCount}</div>
      <div class="muted">${b.since ? `${b.alive ? 'up' : 'down'} since ${time(b.since)}` : b.registeredAt ? `registered ${time(b.registeredAt)}` : ''}</div>
    </div>`).join('') || '<p class="muted">No broker registered under /brokers/ids.</p>';
  renderSummary();
}

function replicaChip(r, p, alive) {
  const cls = ['replica', p.isr.includes(r) ? 'in-isr' : 'out'];
  if (r === p.leader) cls.push('leader');
  if (!alive.has(r)) cls.push('dead');
  return `<span class="${cls.join(' ')}" title="broker ${r}${r === p.leader ? ', leader' : ''}${p.isr.includes(r) ? ', in sync' : ', not in sync'}">${r}</span>`;
}

function renderTopics() {
  const alive = new Set(state.brokers.filter((b) => b.alive).map((b) => b.id));
  $('topics').innerHTML = state.topics.map((t) => `
    <div class="topic" data-topic="${esc(t.topic)}">
      <h3>${esc(t.topic)} <span class="muted">${t.partitions.length} partition(s)</span>
        ${t.offline ? `<span class="badge bad">${t.offline} offline</span>` : ''}
        ${t.underReplicated ? `<span class="badge warn">${t.underReplicated} under-replicated</span>` : ''}</h3>
      <table><thead><tr><th>partition</th><th>leader</th><th>replicas (ISR green, leader outlined)</th><th>ISR</th><th>leader epoch</th><th></th></tr></thead><tbody>
      ${t.partitions.map((p) => {
        const key = `${t.topic}/${p.partition}`;
        const moved = lastLeaders.has(key) && lastLeaders.get(key) !== p.leader;
        lastLeaders.set(key, p.leader);
        return `<tr data-partition="${esc(key)}" data-leader="${p.leader}" data-isr="${p.isr.join(',')}" data-offline="${p.offline}" data-under-replicated="${p.underReplicated}"${moved ? ' class="flash"' : ''}>
          <td>${p.partition}</td><td>${p.leader < 0 ? '<b>none</b>' : p.leader}</td>
          <td>${p.replicas.map((r) => replicaChip(r, p, alive)).join('')}</td>
          <td>${p.isr.join(', ')}</td><td>${num(p.leaderEpoch)}</td>
          <td>${p.offline ? '<span class="badge bad">OFFLINE</span>' : ''}${p.underReplicated ? '<span class="badge warn">UNDER-REPLICATED</span>' : ''}</td></tr>`;
      }).join('')}
      </tbody></table>
    </div>`).join('') || '<p class="muted">No topics.</p>';
  renderSummary();
}

function renderGroups() {
  const maxLag = Math.max(1, ...state.groups.flatMap((g) => g.partitions.map((p) => p.lag ?? 0)));
  $('groups').innerHTML = state.groups.map((g) => `
    <div class="group" data-group="${esc(g.group)}" data-state="${g.state}" data-status="${g.status}" data-total-lag="${g.totalLag}" data-members="${g.members.length}">
      <h3>${esc(g.group)} <span class="badge state-${g.state}">${g.state}${g.state === 'Rebalancing' ? ` for ${Math.round((Date.now() - g.rebalanceStartedAt) / 100) / 10} s` : ''}</span>
        <span class="badge status-${g.status}" title="Burrow-style status over a window of commits">${g.status}</span>
        <span class="muted">lag ${g.totalLag} · ${g.members.length} member(s)${g.lastRebalance ? ` · last rebalance ${g.lastRebalance.durationMs} ms at ${time(g.lastRebalance.endedAt)}` : ''}</span></h3>
      <div class="muted">members: ${g.members.map((m) => `<span data-member="${esc(m.id)}">${esc(m.id)} (${m.owned} owned)</span>`).join(', ') || 'none'}</div>
      <table><thead><tr><th>topic</th><th>partition</th><th>owner</th><th>committed</th><th>log end</th><th>lag</th><th>status</th><th>last commit</th></tr></thead><tbody>
      ${g.partitions.map((p) => `<tr data-group-partition="${esc(p.topic)}/${p.partition}" data-owner="${esc(p.owner ?? '')}" data-lag="${p.lag ?? ''}">
        <td>${esc(p.topic)}</td><td>${p.partition}</td><td>${p.owner ? esc(p.owner) : '<b>none</b>'}</td>
        <td>${num(p.offset)}</td><td>${num(p.logEnd)}</td>
        <td>${num(p.lag)}${p.lag ? `<span class="lagbar" style="width:${Math.max(2, Math.round((160 * p.lag) / maxLag))}px"></span>` : ''}</td>
        <td><span class="badge status-${p.status}">${p.status}</span></td><td>${time(p.lastCommit)}</td></tr>`).join('')}
      </tbody></table>
    </div>`).join('') || '<p class="muted">No ZooKeeper-coordinated consumer group under /consumers.</p>';
}

function renderTimeline() {
  $('timeline').innerHTML = state.events.slice(-300).reverse().map((e) =>
    `<li class="k-${e.kind}${e.kind === 'zookeeper' && !/unreachable|expired/.test(e.text) ? ' ok-text' : ''}" data-event="${e.kind}"${e.group ? ` data-event-group="${esc(e.group)}"` : ''}><time>${time(e.time)}</time>${esc(e.text)}</li>`).join('');
}

function renderSummary() {
  const alive = state.brokers.filter((b) => b.alive).length;
  const offline = state.topics.reduce((n, t) => n + t.offline, 0);
  const urp = state.topics.reduce((n, t) => n + t.underReplicated, 0);
  $('summary').textContent = `${alive}/${state.brokers.length} brokers alive · ${state.topics.length} topics · ${offline} offline · ${urp} under-replicated`;
}

function connect() {
  const es = new EventSource('/api/stream');
  const setStream = (s) => {
    state.stream = s;
    const el = $('stream');
    el.dataset.stream = s;
    el.textContent = `live: ${s === 'open' ? 'on' : s}`;
    renderBanner();
  };
  es.onopen = () => setStream('open');
  es.onerror = () => {
    if (es.readyState !== EventSource.CLOSED) return setStream('reconnecting'); // EventSource retries by itself
    setStream('closed');
    setTimeout(connect, 2000); // an answer that was not a stream: the browser gives up, we do not
  };
  const on = (name, fn) => es.addEventListener(name, (m) => fn(JSON.parse(m.data)));
  on('snapshot', (s) => {
    Object.assign(state, { zookeeper: s.zookeeper, controller: s.controller, brokers: s.brokers, topics: s.topics, groups: s.groups, events: s.events });
    setStream('open');
    renderZooKeeper(); renderBrokers(); renderTopics(); renderGroups(); renderTimeline();
  });
  on('zookeeper', (z) => { state.zookeeper = z; renderZooKeeper(); });
  on('brokers', (b) => { state.controller = b.controller; state.brokers = b.brokers; renderBrokers(); renderTopics(); });
  on('topics', (t) => { state.topics = t; renderTopics(); });
  on('groups', (g) => { state.groups = g; renderGroups(); });
  on('timeline', (e) => {
    if (state.events.length && state.events[state.events.length - 1].id >= e.id) return;
    state.events.push(e);
    if (state.events.length > 1000) state.events.shift();
    renderTimeline();
  });
}

connect();
// a rebalance's running time
setInterval(() => { if (state.groups.some((g) => g.state === 'Rebalancing')) renderGroups(); }, 500);
