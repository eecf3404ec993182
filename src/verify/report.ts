/**
 * What kafka-verify reports: the per-second series (acknowledged records, send errors,
 * latency percentiles), the windows without any acknowledgement, and an HTML page with SVG
 * charts (throughput and latency over time, the faults drawn as bands) that opens in any
 * browser without anything else (no scripts, no external files). `--report X.svg` writes the
 * charts alone as one SVG.
 */
import type { FaultRecord } from './faults.js';
import type { Verdict } from './checker.js';

export interface AckEvent {
  /** ms since the workload started */
  t: number;
  latencyMs: number;
}

export interface SecondBucket {
  second: number;
  acked: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
}

export interface Window {
  fromMs: number;
  toMs: number;
}

export interface TimelineEntry {
  t: number;
  what: string;
}

export interface RunReport {
  title: string;
  settings: Record<string, string | number | boolean>;
  schedule: string;
  seed: number;
  durationMs: number;
  series: SecondBucket[];
  unavailable: Window[];
  faults: FaultRecord[];
  timeline: TimelineEntry[];
  counts: Record<string, number>;
  verdict: Verdict;
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function seriesOf(acks: AckEvent[], errors: number[], endMs: number): SecondBucket[] {
  const n = Math.max(1, Math.ceil(endMs / 1000));
  const lat: number[][] = Array.from({ length: n }, () => []);
  const errs = new Array<number>(n).fill(0);
  for (const a of acks) lat[Math.min(n - 1, Math.max(0, Math.floor(a.t / 1000)))]!.push(a.latencyMs);
  for (const t of errors) errs[Math.min(n - 1, Math.max(0, Math.floor(t / 1000)))]!++;
  return lat.map((l, second) => {
    const s = [...l].sort((a, b) => a - b);
    return { second, acked: l.length, errors: errs[second]!, p50: percentile(s, 0.5), p99: percentile(s, 0.99), max: s[s.length - 1] ?? 0 };
  });
}

/** Gaps of at least `minMs` between acknowledgements, while the producer ran [startMs, endMs]. */
export function unavailableWindows(ackTimes: number[], startMs: number, endMs: number, minMs = 1000): Window[] {
  const out: Window[] = [];
  let last = startMs;
  for (const t of [...ackTimes].sort((a, b) => a - b)) {
    if (t - last >= minMs) out.push({ fromMs: last, toMs: t });
    last = Math.max(last, t);
  }
  if (endMs - last >= minMs) out.push({ fromMs: last, toMs: endMs });
  return out;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLORS: Record<string, string> = { kill: '#e4572e', term: '#f3a712', pause: '#669bbc', isolate: '#8338ec', 'cut-zk': '#c1121f', 'cut-peers': '#2a9d8f' };

/** One chart: a line per series over seconds, fault bands and unavailable windows behind. */
function chart(r: RunReport, o: { title: string; y: string; lines: { label: string; color: string; values: number[] }[]; top: number; height: number }, width: number): string {
  const left = 60;
  const right = 20;
  const plotW = width - left - right;
  const plotH = o.height - 50;
  const top = o.top + 25;
  const seconds = Math.max(1, r.durationMs / 1000);
  const maxY = Math.max(1, ...o.lines.flatMap((l) => l.values));
  const x = (s: number) => left + (s / seconds) * plotW;
  const y = (v: number) => top + plotH - (v / maxY) * plotH;
  const parts: string[] = [];
  parts.push(`<text x="${left}" y="${o.top + 15}" font-size="14" font-weight="bold">${esc(o.title)}</text>`);
  for (const w of r.unavailable) {
    parts.push(`<rect x="${x(w.fromMs / 1000).toFixed(1)}" y="${top}" width="${Math.max(1, x(w.toMs / 1000) - x(w.fromMs / 1000)).toFixed(1)}" height="${plotH}" fill="#000" opacity="0.07"><title>no acknowledgement ${(w.fromMs / 1000).toFixed(1)}-${(w.toMs / 1000).toFixed(1)} s</title></rect>`);
  }
  r.faults.forEach((f, i) => {
    const x0 = x(f.startMs / 1000);
    const x1 = x((f.endMs ?? r.durationMs) / 1000);
    const c = COLORS[f.action] ?? '#888';
    parts.push(`<rect x="${x0.toFixed(1)}" y="${top}" width="${Math.max(2, x1 - x0).toFixed(1)}" height="${plotH}" fill="${c}" opacity="0.18"><title>${esc(`${f.action}:${f.target} (${f.resolved}) ${(f.startMs / 1000).toFixed(1)}-${((f.endMs ?? 0) / 1000).toFixed(1)} s`)}</title></rect>`);
    parts.push(`<text x="${(x0 + 2).toFixed(1)}" y="${top + 12 + (i % 3) * 12}" font-size="10" fill="${c}">${esc(`${f.action}:${f.resolved.replace('ZooKeeper node', 'zk').replace('broker ', 'b')}`)}</text>`);
  });
  parts.push(`<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#333"/><line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#333"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = (maxY * i) / 4;
    parts.push(`<text x="${left - 5}" y="${(y(v) + 4).toFixed(1)}" font-size="10" text-anchor="end">${Math.round(v)}</text>`);
    parts.push(`<line x1="${left}" y1="${y(v).toFixed(1)}" x2="${left + plotW}" y2="${y(v).toFixed(1)}" stroke="#ddd" stroke-dasharray="2,3"/>`);
  }
  const step = Math.max(1, Math.ceil(seconds / 15));
  for (let s = 0; s <= seconds; s += step) parts.push(`<text x="${x(s).toFixed(1)}" y="${top + plotH + 14}" font-size="10" text-anchor="middle">${s}s</text>`);
  parts.push(`<text x="12" y="${top + plotH / 2}" font-size="11" transform="rotate(-90 12 ${top + plotH / 2})" text-anchor="middle">${esc(o.y)}</text>`);
  o.lines.forEach((l, li) => {
    const pts = l.values.map((v, s) => `${x(s + 0.5).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${l.color}" stroke-width="1.6" points="${pts}"/>`);
    parts.push(`<text x="${left + plotW - 150 + li * 60}" y="${o.top + 15}" font-size="11" fill="${l.color}">&#9632; ${esc(l.label)}</text>`);
  });
  return parts.join('\n');
}

export function renderSvg(r: RunReport, width = 960): string {
  const h1 = 230;
  const h2 = 230;
  const body = [
    chart(r, { title: 'Acknowledged records per second (shaded grey: no acknowledgement for 1 s or more)', y: 'records/s', top: 0, height: h1, lines: [
      { label: 'acked', color: '#1d3557', values: r.series.map((b) => b.acked) },
      { label: 'errors', color: '#e63946', values: r.series.map((b) => b.errors) },
    ] }, width),
    chart(r, { title: 'Latency, send to acknowledgement (ms)', y: 'ms', top: h1, height: h2, lines: [
      { label: 'p50', color: '#2a9d8f', values: r.series.map((b) => b.p50) },
      { label: 'p99', color: '#e76f51', values: r.series.map((b) => b.p99) },
    ] }, width),
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h1 + h2}" viewBox="0 0 ${width} ${h1 + h2}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="#fff"/>\n${body.join('\n')}\n</svg>\n`;
}

export function renderHtml(r: RunReport): string {
  const v = r.verdict;
  const row = (k: string, val: string | number) => `<tr><th>${esc(k)}</th><td>${esc(String(val))}</td></tr>`;
  const verdict = v.ok
    ? '<p class="ok">PASS: every acknowledged record was read back at its offset, in order, nothing was invented.</p>'
    : `<p class="bad">VIOLATION: ${esc(v.violations.join('; '))}</p>`;
  const sample = <T,>(l: T[], f: (x: T) => string) => (l.length === 0 ? 'none' : l.slice(0, 20).map(f).join(', ') + (l.length > 20 ? `, ... (${l.length})` : ''));
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>
body{font-family:sans-serif;margin:24px;max-width:1000px;color:#222}
table{border-collapse:collapse;margin:8px 0 16px}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px;vertical-align:top}
th{background:#f4f4f4}.ok{color:#1b7f3b;font-weight:bold}.bad{color:#b00020;font-weight:bold}code{background:#f4f4f4;padding:1px 4px}
</style></head><body>
<h1>${esc(r.title)}</h1>
${verdict}
<p>Replay this run: <code>bin/kafka-verify.sh --seed ${r.seed} --schedule '${esc(r.schedule)}' ...</code> (same settings as below).</p>
<h2>Settings</h2><table>${Object.entries(r.settings).map(([k, val]) => row(k, String(val))).join('')}</table>
<h2>Checks</h2><table>
${row('acknowledged records', v.acked)}${row('distinct values sent', v.sent)}${row('records in the final log', v.stored)}
${row('lost (acknowledged, not in the log)', `${v.lost.length}: ${sample(v.lost, (a) => `${a.value}@${a.partition}:${a.offset}`)}`)}
${row('misplaced (acknowledged offset holds another value)', `${v.misplaced.length}: ${sample(v.misplaced, (a) => `${a.value}@${a.partition}:${a.offset}`)}`)}
${row('out of order within a partition', `${v.reordered}: ${sample(v.reorderedAt, (a) => `${a.value}@${a.partition}:${a.offset} after ${a.after}`)}`)}
${row('duplicates', `${v.duplicates}: ${sample(v.duplicateValues, (s) => s)}`)}
${row('never sent (phantom)', `${v.phantom.length}: ${sample(v.phantom, (a) => `${a.value}@${a.partition}:${a.offset}`)}`)}
${row('read by the live consumer, not in the final log (divergent)', `${v.divergent.length}: ${sample(v.divergent, (a) => `${a.value}@${a.partition}:${a.offset} (final: ${a.final ?? 'none'})`)}`)}
${row('live consumer: records read / read again', `${v.observed} / ${v.observedAgain}`)}
${Object.entries(r.counts).map(([k, n]) => row(k, n)).join('')}
</table>
<h2>Throughput and latency, with the faults</h2>
${renderSvg(r)}
<h2>Faults</h2><table><tr><th>#</th><th>fault</th><th>target</th><th>from</th><th>to</th><th>what happened</th></tr>
${r.faults.map((f) => `<tr><td>${f.index}</td><td>${esc(`${f.action}:${f.target}`)}</td><td>${esc(f.resolved)}</td><td>${(f.startMs / 1000).toFixed(1)} s</td><td>${f.endMs !== undefined ? (f.endMs / 1000).toFixed(1) + ' s' : '-'}</td><td>${esc([...f.detail, f.error ? `error: ${f.error}` : ''].filter(Boolean).join('; '))}</td></tr>`).join('\n')}
</table>
<h2>Unavailable windows (no acknowledgement for 1 s or more)</h2>
<p>${r.unavailable.length === 0 ? 'none' : r.unavailable.map((w) => `${(w.fromMs / 1000).toFixed(1)}-${(w.toMs / 1000).toFixed(1)} s (${((w.toMs - w.fromMs) / 1000).toFixed(1)} s)`).join(', ')}</p>
<h2>Timeline</h2><table><tr><th>time</th><th>event</th></tr>
${r.timeline.map((e) => `<tr><td>${(e.t / 1000).toFixed(2)} s</td><td>${esc(e.what)}</td></tr>`).join('\n')}
</table>
</body></html>
`;
}
