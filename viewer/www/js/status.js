// Status: the ring (overruns, missed records, writer state), the flow store (bounds, evictions), memory.
import { h, replace } from './dom.js';
import * as api from './api.js';
import * as fmt from './format.js';
import { problems } from './filters.js';
import { message } from './widgets.js';

function table(title, id, rows) {
  return h('section', { class: 'card', id }, h('h2', {}, title),
           h('table', { class: 'kv' }, h('tbody', {}, rows.map(([k, v]) =>
             h('tr', { dataset: { stat: k } }, h('th', { scope: 'row' }, k), h('td', {}, String(v ?? '')))))));
}

export class StatusView {
  constructor(app) { this.app = app; }
  mount(root) { this.root = root; this.load(); }
  update() { this.load(); }
  refresh() { this.load(); }
  async load() {
    try {
      const st = await api.get('/api/stats');
      const r = st.ring, s = st.store, p = st.process, w = st.http;
      replace(this.root, h('section', { class: 'view status' }, h('h1', {}, 'Status'), h('div', { class: 'cards' },
        table('Ring', 'st-ring', [['name', r.name], ['state', r.state], ['last error', r.last_error || ''],
          ['generation', r.generation || ''], ['writer pid', r.writer_pid], ['capacity', fmt.count(r.capacity)],
          ['writer runs seen', r.runs], ['records received', fmt.count(r.received)],
          ['records per second', fmt.count(Math.round(r.records_per_s))], ['lag (records)', fmt.count(r.lag)],
          ['overruns', fmt.count(r.overruns)], ['missed records', fmt.count(r.missed)], ['torn reads', fmt.count(r.torn_reads)],
          ['corrupt slots', fmt.count(r.corrupt)], ['invalid JSON', fmt.count(r.invalid_json)], ['not a flow', fmt.count(r.not_a_flow)]]),
        table('Flow store', 'st-store', [['flows', fmt.count(s.flows)], ['active', fmt.count(s.active)], ['ended', fmt.count(s.ended)],
          ['memory used', fmt.bytes(s.bytes) + ' of ' + fmt.bytes(s.max_bytes)], ['max flows', fmt.count(s.max_flows)],
          ['retention', fmt.duration(s.retention_s * 1e6)], ['records applied', fmt.count(s.records)],
          ['flows seen', fmt.count(s.flows_created)], ['evicted (retention)', fmt.count(s.evicted_retention)],
          ['evicted (max flows)', fmt.count(s.evicted_max_flows)], ['evicted (memory)', fmt.count(s.evicted_memory)]]),
        table('Process', 'st-process', [['resident memory (own)', fmt.bytes(p.rss_bytes)], ['ring pages mapped (shared)', fmt.bytes(p.ring_shm_bytes)], ['memory bound', fmt.bytes(p.memory_bound_bytes)],
          ['uptime', fmt.duration(st.uptime_s * 1e6)], ['HTTP requests', fmt.count(w.requests)],
          ['bad requests', fmt.count(w.bad_requests)], ['unauthorized', fmt.count(w.unauthorized)],
          ['refused Host', fmt.count(w.forbidden_host)], ['live streams', w.streams]]))));
    } catch (err) {
      replace(this.root, message('Cannot load status: ' + problems(err), 'error'));
    }
  }
}
