// Pieces shared by the views: application with encryption/risk markers, endpoints with their context,
// the client/server breakdown bar, badges. All text goes in as text nodes.
import { h, icon } from './dom.js';
import * as fmt from './format.js';

export function countryBadge(ep) {
  if (!ep || !fmt.countryOk(ep.country)) return null;
  return h('span', { class: 'cc', title: ep.country_name || ep.country }, ep.country);
}

export function riskBadge(f) {
  if (!f.risk_score && !(f.risks && f.risks.length)) return null;
  const sev = fmt.SEVERITY_ORDER.includes(f.risk_severity) ? f.risk_severity || 'low' : 'low';
  const title = 'Risk score ' + (f.risk_score || 0) + (f.risks && f.risks.length ? ': ' + f.risks.join(', ') : '');
  return h('span', { class: 'risk sev-' + sev, title }, icon('warn', 'risk'), String(f.risk_score || '!'));
}

export function appCell(f) {
  return h('span', { class: 'app' },
           h('span', { class: 'dot ' + (f.active ? 'on' : 'off'), title: f.active ? 'active' : 'ended (' + (f.reason || '') + ')' }),
           h('span', { class: 'app-name' }, f.app),
           f.encrypted ? icon('lock', 'encrypted', 'lock') : null,
           riskBadge(f));
}

// "10.0.0.1:443" plus what is known about the host: service name, host name, MAC vendor, country.
export function endpointCell(ep, transport, onFilter) {
  const ipEl = onFilter
    ? h('a', { href: '#', class: 'ip', title: 'Filter on this address',
               onclick: (ev) => { ev.preventDefault(); ev.stopPropagation(); onFilter(ep.ip); } }, ep.ip)
    : h('span', { class: 'ip' }, ep.ip);
  const port = ep.port !== undefined ? h('span', { class: 'port' }, ':' + ep.port) : null;
  const extra = [ep.service, ep.hostname, ep.mac_vendor, ep.asn ? 'AS' + ep.asn : null].filter(Boolean);
  return h('span', { class: 'endpoint' }, countryBadge(ep), ipEl, port,
           extra.length ? h('span', { class: 'ep-extra' }, extra.join(' · ')) : null);
}

export function breakdown(cli, srv) {
  const total = Number(cli || 0) + Number(srv || 0);
  const pc = total ? Math.round((Number(cli) * 100) / total) : 0;
  const a = h('span', { class: 'bd-cli', title: 'client ' + fmt.bytes(cli) + ' (' + pc + '%)' });
  const b = h('span', { class: 'bd-srv', title: 'server ' + fmt.bytes(srv) + ' (' + (100 - pc) + '%)' });
  a.style.width = (total ? pc : 0) + '%';   // CSSOM: allowed under style-src 'self'
  b.style.width = (total ? 100 - pc : 0) + '%';
  return h('span', { class: 'breakdown', title: `client ${pc}% / server ${100 - pc}%` }, a, b);
}

export function labelChips(labels) {
  return (labels || []).map((l) => h('span', { class: 'label lb-' + String(l).replace(/[^a-z_]/g, ''),
                                               title: fmt.LABELS[l] || l }, l.replace(/_/g, ' ')));
}

export function flagBadges(bits) {
  const names = fmt.flagNames(bits);
  if (!names.length) return h('span', { class: 'muted' }, 'none');
  return h('span', { class: 'flags' }, names.map((n) => h('span', { class: 'flag fl-' + n.toLowerCase() }, n)));
}

export function message(text, cls) {
  return h('div', { class: 'msg ' + (cls || '') }, text);
}
