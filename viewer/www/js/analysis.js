// Flow analysis: current flows grouped (ntopng's aggregations), each group drilling down to its flows.
import { h, replace } from './dom.js';
import * as api from './api.js';
import * as fmt from './format.js';
import { FilterBar, filterParams, pager, problems } from './filters.js';
import { breakdown, message } from './widgets.js';

export const GROUPINGS = [
  ['app', 'Application', ['app']],
  ['client', 'Client', ['client']],
  ['server', 'Server', ['server']],
  ['client_server', 'Client / Server', ['client', 'server']],
  ['app_client_server', 'Application / Client / Server', ['app', 'client', 'server']],
  ['client_server_dport', 'Client / Server / Destination port', ['client', 'server', 'dport']],
  ['info', 'Info', ['info']],
  ['host', 'Host', ['host']],
  ['proto', 'L4 protocol', ['proto']],
];
const KEY_LABELS = { app: 'Application', client: 'Client', server: 'Server', dport: 'Destination port', info: 'Info',
                     host: 'Host', proto: 'L4 protocol' };
// Group key field -> the flows filter that selects exactly the group's flows.
const DRILL = { app: 'app_exact', client: 'client', server: 'server', dport: 'dport', info: 'info', host: 'ip', proto: 'proto' };

export function drillParams(base, key) {
  const p = filterParams(base);
  for (const [k, v] of Object.entries(key)) p.set(DRILL[k], String(v));
  return p;
}

export class AnalysisView {
  constructor(app) { this.app = app; this.loading = false; }
  mount(root, params, by) {
    this.by = GROUPINGS.some((g) => g[0] === by) ? by : 'app';
    this.filters = new FilterBar((p) => this.app.navigate('analysis/' + this.by, p));
    this.tabs = h('nav', { class: 'tabs', id: 'analysis-tabs' });
    this.table = h('div', { class: 'table-wrap', id: 'analysis-table' });
    this.pagerEl = h('div', {});
    this.status = h('div', { class: 'status-line', id: 'analysis-status' });
    replace(root, h('section', { class: 'view analysis' }, h('h1', {}, 'Flow analysis'), this.tabs, this.filters.el,
                    this.status, this.table, this.pagerEl));
    this.update(params, by);
  }
  update(params, by) {
    if (by && by !== this.by && GROUPINGS.some((g) => g[0] === by)) this.by = by;
    this.params = new URLSearchParams(params);
    this.filters.sync(this.params);
    replace(this.tabs, GROUPINGS.map(([k, label]) => {
      const href = '#/analysis/' + k + (filterParams(this.params).toString() ? '?' + filterParams(this.params) : '');
      return h('a', { href, class: 'tab' + (k === this.by ? ' active' : ''), dataset: { by: k } }, label);
    }));
    this.load();
  }
  refresh() { this.load(); }
  async load() {
    if (this.loading) return;
    this.loading = true;
    const q = new URLSearchParams(this.params);
    q.set('by', this.by);
    if (!q.get('sort')) q.set('sort', 'bytes');
    if (!q.get('limit')) q.set('limit', '25');
    try {
      const data = await api.get('/api/aggregate', q);
      this.render(data, q);
    } catch (err) {
      replace(this.status, message('Cannot aggregate: ' + problems(err), 'error'));
    } finally {
      this.loading = false;
    }
  }
  sortBy(key) {
    const p = new URLSearchParams(this.params);
    const cur = p.get('sort') || 'bytes';
    p.set('order', cur === key && (p.get('order') || 'desc') === 'desc' ? 'asc' : 'desc');
    p.set('sort', key);
    p.delete('offset');
    this.app.navigate('analysis/' + this.by, p);
  }
  render(data, q) {
    const fields = GROUPINGS.find((g) => g[0] === this.by)[2];
    const sort = q.get('sort'), order = q.get('order') || 'desc';
    const th = (k, label, sortable) => h('th', { class: (sortable ? 'sortable ' : '') + 'col-' + k + (sort === k ? ' sorted' : ''),
                                                dataset: { sort: k }, onclick: sortable ? () => this.sortBy(k) : null },
                                         label, sort === k ? (order === 'desc' ? ' ▼' : ' ▲') : null);
    const head = h('tr', {}, fields.map((f) => th(f === fields[0] ? 'key' : 'key2', KEY_LABELS[f], f === fields[0])),
                   th('flows', 'Flows', true), th('bytes', 'Total bytes', true), th('bd', 'Client / server', false),
                   th('throughput', 'Throughput', true), th('risk', 'Max risk', false), th('go', '', false));
    const rows = data.groups.map((g) => {
      const drill = drillParams(this.params, g.key);
      const href = '#/flows?' + drill.toString();
      return h('tr', { class: 'group-row', dataset: { flows: g.flows, bytes: g.bytes, drill: drill.toString() },
                       onclick: () => { location.hash = href; } },
        fields.map((f) => h('td', { class: 'col-' + f }, g.key[f] === undefined || g.key[f] === '' ? h('span', { class: 'muted' }, '(none)') : String(g.key[f]))),
        h('td', { class: 'num col-flows' }, fmt.count(g.flows), g.active ? h('span', { class: 'muted' }, ` (${fmt.count(g.active)} active)`) : null),
        h('td', { class: 'num col-bytes' }, fmt.bytes(g.bytes)),
        h('td', {}, breakdown(g.bytes_cli, g.bytes_srv)),
        h('td', { class: 'num' }, fmt.bps(g.cur_bps)),
        h('td', { class: 'num' }, g.max_risk ? String(g.max_risk) : ''),
        h('td', {}, h('a', { href, class: 'drill', onclick: (ev) => ev.stopPropagation() }, 'flows →')));
    });
    replace(this.status, `${fmt.count(data.total_groups)} groups over ${fmt.count(data.total_flows)} flows`);
    replace(this.table, h('table', { class: 'grid analysis-grid' }, h('thead', {}, head),
                          h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: fields.length + 6, class: 'empty' }, 'No flows.')))));
    const limit = Number(q.get('limit')), offset = Number(q.get('offset') || 0);
    replace(this.pagerEl, pager(data.total_groups, offset, limit, (off, lim) => {
      const p = new URLSearchParams(this.params);
      p.set('offset', off);
      p.set('limit', lim);
      this.app.navigate('analysis/' + this.by, p);
    }));
  }
}
