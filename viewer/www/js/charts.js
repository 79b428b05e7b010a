// Hand-written SVG charts (no library): throughput over time, top applications, top talkers.
import { h, s, replace } from './dom.js';
import * as api from './api.js';
import * as fmt from './format.js';
import { problems } from './filters.js';
import { message } from './widgets.js';

const W = 860, H = 260, PAD = { l: 70, r: 16, t: 12, b: 28 };

function niceMax(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function lineChart(points, series) {
  const n = points.length;
  const max = niceMax(Math.max(1, ...points.map((p) => series.reduce((a, sr) => a + sr.value(p), 0))));
  const x = (i) => PAD.l + (n <= 1 ? 0 : (i * (W - PAD.l - PAD.r)) / (n - 1));
  const y = (v) => H - PAD.b - (v * (H - PAD.t - PAD.b)) / max;
  const kids = [];
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    kids.push(s('line', { x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v), class: 'gridline' }),
              s('text', { x: PAD.l - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, fmt.bps(v)));
  }
  // Stacked areas: the first series at the bottom.
  let base = points.map(() => 0);
  for (const sr of series) {
    const top = points.map((p, i) => base[i] + sr.value(p));
    let d = '';
    points.forEach((p, i) => { d += (i ? 'L' : 'M') + x(i).toFixed(1) + ',' + y(top[i]).toFixed(1); });
    for (let i = n - 1; i >= 0; i--) d += 'L' + x(i).toFixed(1) + ',' + y(base[i]).toFixed(1);
    if (n) kids.push(s('path', { d: d + 'Z', class: 'area ' + sr.cls }, s('title', {}, sr.name)));
    base = top;
  }
  const ticks = 6;
  for (let k = 0; k < ticks && n > 1; k++) {
    const i = Math.round((k * (n - 1)) / (ticks - 1));
    const t = new Date(points[i].t * 1000).toISOString().slice(11, 19);
    kids.push(s('text', { x: x(i), y: H - 8, class: 'axis', 'text-anchor': 'middle' }, t));
  }
  return s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart line', role: 'img', 'aria-label': 'Throughput over time' }, kids);
}

// Horizontal bars; `items`: [{label, value, title, onclick}]
export function barChart(items, valueText) {
  const rowH = 24, labelW = 250, top = 4;
  const height = top * 2 + Math.max(1, items.length) * rowH;
  const max = Math.max(1, ...items.map((i) => i.value));
  const kids = items.map((it, k) => {
    const y = top + k * rowH;
    const w = ((W - labelW - 110) * it.value) / max;
    return s('g', { class: 'bar', onclick: it.onclick, 'data-label': it.label },
             s('title', {}, it.title || it.label),
             s('text', { x: labelW - 8, y: y + 16, class: 'bar-label', 'text-anchor': 'end' },
               it.label.length > 34 ? it.label.slice(0, 33) + '…' : it.label),
             s('rect', { x: labelW, y: y + 3, width: Math.max(1, w).toFixed(1), height: rowH - 6, rx: 3 }),
             s('text', { x: labelW + w + 6, y: y + 16, class: 'bar-value' }, valueText(it.value)));
  });
  if (!items.length) kids.push(s('text', { x: 10, y: 20, class: 'axis' }, 'no data yet'));
  return s('svg', { viewBox: `0 0 ${W} ${height}`, class: 'chart bars', role: 'img' }, kids);
}

export class ChartsView {
  constructor(app) { this.app = app; this.loading = false; }
  mount(root) {
    this.tp = h('div', { class: 'chart-box', id: 'chart-throughput' });
    this.apps = h('div', { class: 'chart-box', id: 'chart-apps' });
    this.talkers = h('div', { class: 'chart-box', id: 'chart-talkers' });
    replace(root, h('section', { class: 'view charts' }, h('h1', {}, 'Charts'),
      h('section', { class: 'card wide' }, h('h2', {}, 'Throughput over time (packet time)'),
        h('p', { class: 'legend' }, h('span', { class: 'sw up' }), 'client → server ', h('span', { class: 'sw down' }), 'server → client'), this.tp),
      h('div', { class: 'cards two' },
        h('section', { class: 'card' }, h('h2', {}, 'Top applications (bytes)'), this.apps),
        h('section', { class: 'card' }, h('h2', {}, 'Top talkers (bytes sent + received)'), this.talkers))));
    this.load();
  }
  update() { this.load(); }
  refresh() { this.load(); }
  async load() {
    if (this.loading) return;
    this.loading = true;
    try {
      const [series, apps, hosts] = await Promise.all([
        api.get('/api/series'),
        api.get('/api/aggregate', { by: 'app', sort: 'bytes', limit: 10 }),
        api.get('/api/aggregate', { by: 'host', sort: 'bytes', limit: 10 }),
      ]);
      const pts = series.points.map(([t, up, down]) => ({ t, up, down }));
      replace(this.tp, lineChart(pts, [{ name: 'client → server', cls: 'up', value: (p) => p.up },
                                       { name: 'server → client', cls: 'down', value: (p) => p.down }]));
      replace(this.apps, barChart(apps.groups.map((g) => ({
        label: g.key.app, value: g.bytes, title: `${g.key.app}: ${fmt.bytes(g.bytes)} in ${g.flows} flows`,
        onclick: () => this.app.navigate('flows', new URLSearchParams({ app_exact: g.key.app })) })), fmt.bytes));
      replace(this.talkers, barChart(hosts.groups.map((g) => ({
        label: g.key.host, value: g.bytes, title: `${g.key.host}: ${fmt.bytes(g.bytes)} in ${g.flows} flows`,
        onclick: () => this.app.navigate('flows', new URLSearchParams({ ip: g.key.host })) })), fmt.bytes));
    } catch (err) {
      replace(this.tp, message('Cannot load charts: ' + problems(err), 'error'));
    } finally {
      this.loading = false;
    }
  }
}
