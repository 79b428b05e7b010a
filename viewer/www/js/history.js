// History (the fleet view): records of every sensor from ClickHouse (/api/history), searched by time, IP,
// port, application, SNI, JA3/JA4, conn_state, label and sensor. The search lives in the URL
// (#/history?…); a row opens the same details page as a live flow (#/hflow/<msg_id>).
import { h, replace } from './dom.js';
import * as api from './api.js';
import * as fmt from './format.js';
import { problems } from './filters.js';
import { appCell, endpointCell, labelChips, message } from './widgets.js';
import { DetailsView } from './details.js';

const FIELDS = [
  ['ip', 'IP or CIDR (either side)'], ['port', 'Port or range'], ['application', 'Application'],
  ['sni', 'TLS SNI'], ['ja3', 'JA3'], ['ja4', 'JA4'], ['conn_state', 'Conn. state'], ['label', 'Label'],
  ['sensor', 'Sensor'],
];

// <input type="datetime-local"> is local time without a zone; the API takes RFC 3339 UTC.
function toApiTime(local) { return local ? new Date(local).toISOString() : ''; }
function toLocalInput(iso) {
  const d = new Date(iso);
  if (!iso || isNaN(d)) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export class HistoryView {
  constructor(app) { this.app = app; }
  mount(root, params) {
    this.inputs = {};
    const row = (key, label, attrs) => {
      this.inputs[key] = h('input', Object.assign({ id: 'hist-' + key, name: key, 'aria-label': label }, attrs));
      return h('label', { class: 'hist-field' }, h('span', {}, label), this.inputs[key]);
    };
    const submit = (ev) => {
      ev.preventDefault();
      const p = new URLSearchParams();
      for (const [k, el] of Object.entries(this.inputs)) {
        const v = el.type === 'datetime-local' ? toApiTime(el.value) : el.value.trim();
        if (v) p.set(k, v);
      }
      this.app.navigate('history', p);
    };
    this.form = h('form', { class: 'filterbar hist-form', id: 'hist-form', onsubmit: submit },
      h('div', { class: 'filter-row' },
        row('from', 'From', { type: 'datetime-local' }), row('to', 'To', { type: 'datetime-local' }),
        FIELDS.map(([k, label]) => row(k, label, { type: 'text', placeholder: label })),
        row('limit', 'Rows', { type: 'number', min: 1, placeholder: '100' }),
        h('button', { type: 'submit', class: 'btn primary', id: 'hist-search' }, 'Search')));
    this.status = h('div', { class: 'status-line', id: 'hist-status' });
    this.table = h('div', { class: 'table-wrap', id: 'hist-table' });
    replace(root, h('section', { class: 'view history' }, h('h1', {}, 'History (all sensors)'), this.form,
                    this.status, this.table));
    this.update(params);
  }
  update(params) {
    this.params = new URLSearchParams(params);
    for (const [k, el] of Object.entries(this.inputs))
      el.value = el.type === 'datetime-local' ? toLocalInput(this.params.get(k)) : (this.params.get(k) || '');
    this.load();
  }
  // History does not change with live updates: no refresh().
  async load() {
    replace(this.status, 'Searching…');
    try {
      const data = await api.get('/api/history', this.params);
      this.render(data);
    } catch (err) {
      replace(this.status, message('Cannot search the history: ' + problems(err), 'error'));
      replace(this.table);
    }
  }
  render(data) {
    replace(this.status, h('span', {}, `${fmt.count(data.total)} records` +
                           (data.truncated ? ` (the newest ${fmt.count(data.limit)}; narrow the search for older ones)` : '')));
    const cols = ['Time', 'Sensor', 'Application', 'L4', 'Client', 'Server', 'Duration', 'Total bytes', 'Info'];
    const rows = data.flows.map((f) => {
      const open = () => this.app.open('hflow', f.key);
      return h('tr', { class: 'flow-row hist-row', tabindex: 0, dataset: { key: f.key, bytes: f.bytes, app: f.app },
                       onclick: open, onkeydown: (ev) => { if (ev.key === 'Enter') open(); } },
        h('td', { class: 'col-time' }, fmt.time(f.end_us)),
        h('td', { class: 'col-sensor' }, f.sensor || ''),
        h('td', { class: 'col-app' }, appCell(f)),
        h('td', { class: 'col-proto' }, (f.l4 || '').toUpperCase()),
        h('td', { class: 'col-client' }, endpointCell(f.client, f.l4, null)),
        h('td', { class: 'col-server' }, endpointCell(f.server, f.l4, null)),
        h('td', { class: 'col-duration num' }, fmt.duration(f.duration_us)),
        h('td', { class: 'col-bytes num' }, fmt.bytes(f.bytes)),
        h('td', { class: 'col-info' }, labelChips(f.labels), h('span', { class: 'info-text' }, f.info || '')));
    });
    const body = rows.length ? rows
      : [h('tr', {}, h('td', { colspan: cols.length, class: 'empty' }, 'No stored record matches this search.'))];
    replace(this.table, h('table', { class: 'grid flows-grid hist-grid' },
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, body)));
  }
}

// One stored record: the live details page, fed from /api/history/flow.
export class HistoryDetailsView extends DetailsView {
  endpoint() { return '/api/history/flow'; }
  back() { return ['#/history', '← History']; }
  refresh() { /* a stored record does not change */ }
}
