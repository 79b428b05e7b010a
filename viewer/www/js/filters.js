// The filter bar shared by the flows table and the analysis views: free-text search, field filters shown
// as removable chips, the active/ended selector. Its state lives in the URL (location.hash query).
import { h, replace } from './dom.js';

export const FILTER_FIELDS = [
  ['ip', 'IP or CIDR (either side)'], ['client', 'Client IP or CIDR'], ['server', 'Server IP or CIDR'],
  ['port', 'Port (either side)'], ['sport', 'Client port'], ['dport', 'Server port'],
  ['app', 'Application'], ['app_exact', 'Application (exact)'], ['proto', 'L4 protocol'],
  ['conn_state', 'Connection state'], ['tcp_flag', 'TCP flag'], ['label', 'Label'],
  ['risk', 'Risk (any, min score or name)'], ['country', 'Country (ISO code)'], ['asn', 'AS number'],
  ['category', 'Category'], ['info', 'Info (exact)'],
];
const FIELD_NAMES = new Map(FILTER_FIELDS);
export const FILTER_KEYS = ['q', 'state', ...FILTER_FIELDS.map((f) => f[0])];

// Only the filter parameters of `params` (drops sort/paging).
export function filterParams(params) {
  const out = new URLSearchParams();
  for (const [k, v] of params) if (FILTER_KEYS.includes(k)) out.append(k, v);
  return out;
}

export class FilterBar {
  // onChange(newParams): called with the whole new query (paging reset).
  constructor(onChange) {
    this.onChange = onChange;
    this.params = new URLSearchParams();
    this.search = h('input', { type: 'search', class: 'search', placeholder: 'Search IP, host, app, info…',
                               'aria-label': 'Search', id: 'flt-q' });
    let timer = null;
    this.search.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.set('q', this.search.value.trim()), 350);
    });
    this.search.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') { clearTimeout(timer); this.set('q', this.search.value.trim()); }
    });
    this.field = h('select', { 'aria-label': 'Filter field', id: 'flt-field' },
                   FILTER_FIELDS.map(([k, label]) => h('option', { value: k }, label)));
    this.value = h('input', { type: 'text', placeholder: 'value, or a,b or !value', 'aria-label': 'Filter value',
                              id: 'flt-value' });
    const add = () => {
      const v = this.value.value.trim();
      if (!v) return;
      const p = new URLSearchParams(this.params);
      p.set(this.field.value, v);
      this.value.value = '';
      this.commit(p);
    };
    this.value.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') add(); });
    this.addBtn = h('button', { type: 'button', class: 'btn', id: 'flt-add', onclick: add }, 'Add filter');
    this.state = h('select', { 'aria-label': 'Flow state', id: 'flt-state',
                               onchange: () => this.set('state', this.state.value === 'all' ? '' : this.state.value) },
                   h('option', { value: 'all' }, 'Active and ended'), h('option', { value: 'active' }, 'Active only'),
                   h('option', { value: 'ended' }, 'Ended only'));
    this.chips = h('div', { class: 'chips', id: 'flt-chips' });
    this.el = h('div', { class: 'filterbar' },
                h('div', { class: 'filter-row' }, this.search, this.state, this.field, this.value, this.addBtn),
                this.chips);
  }
  set(key, value) {
    const p = new URLSearchParams(this.params);
    if (value) p.set(key, value); else p.delete(key);
    this.commit(p);
  }
  commit(p) {
    p.delete('offset');
    this.onChange(p);
  }
  sync(params) {
    this.params = new URLSearchParams(params);
    if (document.activeElement !== this.search) this.search.value = params.get('q') || '';
    this.state.value = params.get('state') || 'all';
    const chips = [];
    for (const [k, v] of params) {
      if (!FIELD_NAMES.has(k)) continue;
      chips.push(h('span', { class: 'chip', dataset: { field: k } },
                   h('span', { class: 'chip-k' }, FIELD_NAMES.get(k)), ' ', h('span', { class: 'chip-v' }, v),
                   h('button', { type: 'button', class: 'chip-x', title: 'Remove filter', 'aria-label': 'Remove filter',
                                 onclick: () => { const p = new URLSearchParams(this.params); p.delete(k); this.commit(p); } },
                     '×')));
    }
    replace(this.chips, chips);
  }
}

// "Showing a–b of N" with first/previous/next/last and a page size selector.
export function pager(total, offset, limit, onGo, sizes = [10, 25, 50, 100, 250]) {
  const pages = Math.max(1, Math.ceil(total / limit));
  const page = Math.floor(offset / limit) + 1;
  const go = (p) => onGo((Math.min(Math.max(p, 1), pages) - 1) * limit, limit);
  const btn = (label, p, disabled, cls) =>
    h('button', { type: 'button', class: 'btn pg ' + cls, disabled: disabled, onclick: () => go(p) }, label);
  const size = h('select', { class: 'pg-size', 'aria-label': 'Page size',
                             onchange: () => onGo(0, Number(size.value)) },
                 sizes.map((n) => h('option', { value: n, selected: n === limit }, n + ' per page')));
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(total, offset + limit);
  return h('div', { class: 'pager' },
           h('span', { class: 'pg-info' }, `Showing ${first}–${last} of ${total.toLocaleString('en-US')}`),
           btn('«', 1, page <= 1, 'pg-first'), btn('‹', page - 1, page <= 1, 'pg-prev'),
           h('span', { class: 'pg-page' }, `Page ${page} of ${pages}`),
           btn('›', page + 1, page >= pages, 'pg-next'), btn('»', pages, page >= pages, 'pg-last'), size);
}

export function problems(err) {
  if (err && err.problems && err.problems.length)
    return err.problems.map((p) => `${p.param}: ${p.message}`).join('; ');
  return err ? err.message : 'error';
}
