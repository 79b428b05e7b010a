// Live flows: ntopng's columns, server-side sort/filter/paging, click a row for its details.
import { h, replace } from './dom.js';
import * as api from './api.js';
import * as fmt from './format.js';
import { FilterBar, pager, problems } from './filters.js';
import { appCell, breakdown, endpointCell, labelChips, message } from './widgets.js';

const COLUMNS = [
  ['app', 'Application'], ['proto', 'L4'], ['client', 'Client'], ['server', 'Server'],
  ['duration', 'Duration'], ['breakdown', 'Breakdown'], ['throughput', 'Throughput'], ['bytes', 'Total bytes'],
  ['info', 'Info'],
];

export class FlowsView {
  constructor(app) {
    this.app = app;
    this.loading = false;
    this.pending = false;
  }
  mount(root, params) {
    this.filters = new FilterBar((p) => this.app.navigate('flows', p));
    this.table = h('div', { class: 'table-wrap', id: 'flows-table' });
    this.pagerEl = h('div', { id: 'flows-pager' });
    this.status = h('div', { class: 'status-line', id: 'flows-status' });
    replace(root, h('section', { class: 'view flows' }, h('h1', {}, 'Live flows'), this.filters.el, this.status,
                    this.table, this.pagerEl));
    this.update(params);
  }
  update(params) {
    this.params = new URLSearchParams(params);
    this.filters.sync(this.params);
    this.load();
  }
  refresh() { this.load(); }
  query() {
    const p = new URLSearchParams(this.params);
    if (!p.get('sort')) p.set('sort', 'bytes');
    if (!p.get('limit')) p.set('limit', '25');
    return p;
  }
  async load() {
    if (this.loading) { this.pending = true; return; }
    this.loading = true;
    try {
      const q = this.query();
      const data = await api.get('/api/flows', q);
      this.render(data, q);
    } catch (err) {
      replace(this.status, message('Cannot load flows: ' + problems(err), 'error'));
    } finally {
      this.loading = false;
      if (this.pending) { this.pending = false; this.load(); }
    }
  }
  sortBy(key) {
    const p = new URLSearchParams(this.params);
    const cur = p.get('sort') || 'bytes';
    const order = p.get('order') || 'desc';
    p.set('sort', key);
    p.set('order', cur === key && order === 'desc' ? 'asc' : 'desc');
    p.delete('offset');
    this.app.navigate('flows', p);
  }
  filterOn(key, value) {
    const p = new URLSearchParams(this.params);
    p.set(key, value);
    p.delete('offset');
    this.app.navigate('flows', p);
  }
  render(data, q) {
    const sort = q.get('sort'), order = q.get('order') || 'desc';
    replace(this.status, h('span', {}, `${fmt.count(data.total)} of ${fmt.count(data.stored)} flows match`),
            this.app.paused ? h('span', { class: 'paused-note' }, ' · live updates paused') : null);
    const head = h('tr', {}, COLUMNS.map(([k, label]) =>
      h('th', { class: 'sortable col-' + k + (sort === k ? ' sorted ' + order : ''), dataset: { sort: k },
                scope: 'col', title: 'Sort by ' + label, onclick: () => this.sortBy(k) },
        label, sort === k ? h('span', { class: 'arrow' }, order === 'desc' ? ' ▼' : ' ▲') : null)));
    const rows = data.flows.map((f) => {
      const tr = h('tr', { class: 'flow-row' + (f.active ? '' : ' ended'), tabindex: 0,
                           dataset: { key: f.key, bytes: f.bytes, app: f.app, active: f.active ? 1 : 0 },
                           onclick: () => this.app.open('flow', f.key),
                           onkeydown: (ev) => { if (ev.key === 'Enter') this.app.open('flow', f.key); } },
        h('td', { class: 'col-app' }, appCell(f)),
        h('td', { class: 'col-proto' }, (f.l4 || '').toUpperCase()),
        h('td', { class: 'col-client' }, endpointCell(f.client, f.l4, (ip) => this.filterOn('ip', ip))),
        h('td', { class: 'col-server' }, endpointCell(f.server, f.l4, (ip) => this.filterOn('ip', ip))),
        h('td', { class: 'col-duration num' }, fmt.duration(f.duration_us)),
        h('td', { class: 'col-breakdown' }, breakdown(f.client.bytes, f.server.bytes)),
        h('td', { class: 'col-throughput num' }, fmt.bps(f.cur_bps)),
        h('td', { class: 'col-bytes num' }, fmt.bytes(f.bytes)),
        h('td', { class: 'col-info' }, labelChips(f.labels), h('span', { class: 'info-text' }, f.info || '')));
      return tr;
    });
    const body = rows.length ? rows
      : [h('tr', {}, h('td', { colspan: COLUMNS.length, class: 'empty' },
                       data.stored ? 'No flow matches these filters.' : 'No flows yet: waiting for the pipeline.'))];
    replace(this.table, h('table', { class: 'grid flows-grid' }, h('thead', {}, head), h('tbody', {}, body)));
    const limit = Number(q.get('limit')), offset = Number(q.get('offset') || 0);
    replace(this.pagerEl, pager(data.total, offset, limit, (off, lim) => {
      const p = new URLSearchParams(this.params);
      p.set('offset', off);
      p.set('limit', lim);
      this.app.navigate('flows', p);
    }));
  }
}
