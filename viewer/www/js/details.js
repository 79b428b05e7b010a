// One flow, laid out for humans: everything in its record, with meanings, units and context.
import { h, replace } from './dom.js';
import * as api from './api.js';
import * as fmt from './format.js';
import { problems } from './filters.js';
import { appCell, breakdown, countryBadge, flagBadges, labelChips, message } from './widgets.js';

const get = (o, path) => path.split('.').reduce((v, k) => (v && typeof v === 'object' ? v[k] : undefined), o);
const present = (v) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);

function text(v) {
  if (Array.isArray(v)) return v.map(String).join(', ');
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

// A two-column table; rows whose value is absent are left out. A value may be a Node.
function kv(rows) {
  const trs = rows.filter(([, v]) => present(v)).map(([k, v]) =>
    h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v instanceof Node ? v : text(v))));
  return trs.length ? h('table', { class: 'kv' }, h('tbody', {}, trs)) : null;
}

function section(title, id, ...content) {
  const body = content.flat().filter(Boolean);
  if (!body.length) return null;
  return h('section', { class: 'card', id: 'sec-' + id, dataset: { section: id } }, h('h2', {}, title), body);
}

const REPUTATION = [
  ['VirusTotal', 'https://www.virustotal.com/gui/ip-address/'],
  ['AbuseIPDB', 'https://www.abuseipdb.com/check/'],
  ['Cisco Talos', 'https://talosintelligence.com/reputation_center/lookup?search='],
];
function reputationLinks(ep) {
  if (!ep.public || !/^[0-9a-fA-F:.]+$/.test(ep.ip || '')) return null;
  return h('span', { class: 'rep-links' }, REPUTATION.map(([name, base]) =>
    h('a', { href: base + encodeURIComponent(ep.ip), target: '_blank', rel: 'noopener noreferrer', class: 'rep' }, name)));
}

function endpointSection(title, id, ep, rec, ecs, sw) {
  const side = rec[ecs] || {};
  const ext = get(rec, 'spanwatch.' + sw) || {};
  const geo = side.geo || {};
  const as = side.as || {};
  const service = ep.service ? ep.service + (ext.service ? '' : ' (system services database)') : null;
  return section(title, id, kv([
    ['Address', h('span', {}, countryBadge(ep), ep.ip, ' ', h('span', { class: 'muted' }, ep.public ? 'public' : 'private / reserved'))],
    ['Port', ep.port],
    ['Service', service],
    ['Host name', ep.hostname],
    ['MAC', ep.mac],
    ['MAC vendor', ep.mac_vendor],
    ['Country', geo.country_name ? `${geo.country_name} (${geo.country_iso_code || ''})` : ep.country],
    ['City', geo.city_name],
    ['Location', geo.location ? `${geo.location.lat}, ${geo.location.lon}` : null],
    ['AS', ep.asn ? 'AS' + ep.asn + (ep.as_org ? ' ' + ep.as_org : '') : as.organization && as.organization.name],
    ['AS class', ep.as_class],
    ['Local network', ext.is_local],
    ['Operating system', ext.os],
    ['Owner', ext.owner],
    ['Role', ext.role],
    ['Bytes sent', ep.bytes !== undefined ? `${fmt.bytes(ep.bytes)} (${fmt.count(ep.bytes)} B)` : null],
    ['Packets sent', ep.packets !== undefined ? fmt.count(ep.packets) : null],
    ['IP bytes', ext.ip_bytes !== undefined ? fmt.count(ext.ip_bytes) : null],
    ['Payload bytes', ext.payload_bytes !== undefined ? fmt.count(ext.payload_bytes) : null],
    ['Average rate', ext.bps !== undefined ? fmt.bps(ext.bps) : null],
    ['Reputation', reputationLinks(ep)],
  ]));
}

function tcpSection(f, rec) {
  const tcp = get(rec, 'spanwatch.tcp');
  const cs = f.conn_state;
  if (!tcp && !cs) return null;
  const steps = fmt.historySteps(f.history);
  return section('Connection', 'tcp', kv([
    ['State', cs ? h('span', {}, h('span', { class: 'badge cs' }, cs), ' ', fmt.CONN_STATES[cs] || '') : null],
    ['State class', f.conn_state_major ? h('span', {}, h('span', { class: 'badge csm' }, f.conn_state_major), ' ',
                                                  fmt.CONN_MAJOR[f.conn_state_major] || '') : null],
    ['TCP flags (both)', tcp ? flagBadges(f.flags) : null],
    ['Client → server', tcp ? flagBadges(f.flags_ts) : null],
    ['Server → client', tcp ? flagBadges(f.flags_tc) : null],
    ['Flag names', tcp && tcp.flags_labels ? tcp.flags_labels : null],
    ['History', f.history ? h('span', {}, h('code', {}, f.history)) : null],
  ]), steps.length ? h('ol', { class: 'history' }, steps.map((s) =>
    h('li', {}, h('code', {}, s.ch), ' ', s.who ? s.who + ': ' : '', s.what))) : null);
}

function tlsSection(rec) {
  const tls = rec.tls, swt = get(rec, 'spanwatch.tls');
  if (!tls && !swt) return null;
  const t = tls || {}, c = t.client || {}, s = t.server || {}, x = swt || {};
  return section('TLS', 'tls', kv([
    ['Version', t.version ? `${t.version_protocol || 'tls'} ${t.version}` : null],
    ['Server name (SNI)', c.server_name],
    ['Cipher', t.cipher],
    ['Negotiated protocol', t.next_protocol],
    ['Client ALPNs', x.client_alpns],
    ['Supported versions', x.supported_versions],
    ['JA3', c.ja3], ['JA3S', s.ja3s], ['JA4', x.ja4],
    ['Certificate subject', s.subject], ['Issuer', s.issuer],
    ['Valid from', s.not_before], ['Valid until', s.not_after],
    ['Serial number', get(s, 'x509.serial_number')],
    ['Alternative names', get(s, 'x509.alternative_names')],
    ['SHA-1', get(s, 'hash.sha1')],
  ]));
}

function sshSection(rec) {
  const ssh = get(rec, 'spanwatch.ssh');
  if (!ssh) return null;
  return section('SSH', 'ssh', kv([
    ['Client software', get(ssh, 'client.software')], ['Client HASSH', get(ssh, 'client.hassh')],
    ['Server software', get(ssh, 'server.software')], ['Server HASSH', get(ssh, 'server.hassh')],
  ]));
}

function dnsSection(rec) {
  const d = rec.dns;
  if (!d) return null;
  const answers = Array.isArray(d.answers) && d.answers.length
    ? h('table', { class: 'grid small' }, h('thead', {}, h('tr', {}, ['Name', 'Type', 'Class', 'TTL', 'Data'].map((x) => h('th', {}, x)))),
        h('tbody', {}, d.answers.map((a) => h('tr', {}, [a.name, a.type, a.class, a.ttl, a.data].map((v) => h('td', {}, present(v) ? String(v) : ''))))))
    : null;
  return section('DNS', 'dns', kv([
    ['Query', get(d, 'question.name')], ['Type', get(d, 'question.type')], ['Class', get(d, 'question.class')],
    ['Response code', d.response_code], ['Message', d.type], ['Op code', d.op_code], ['Id', d.id],
    ['Header flags', d.header_flags], ['Resolved addresses', d.resolved_ip],
  ]), answers);
}

function httpSection(rec) {
  const hh = rec.http, url = rec.url, ua = rec.user_agent, sw = get(rec, 'spanwatch.http');
  if (!hh && !url && !ua && !sw) return null;
  return section('HTTP', 'http', kv([
    ['Method', get(hh, 'request.method')], ['Host', get(url, 'domain')], ['URL', get(url, 'original')],
    ['Version', get(hh, 'version')], ['Status', get(hh, 'response.status_code')],
    ['User agent', get(ua, 'original')], ['Server', get(sw, 'server')],
    ['Request type', get(hh, 'request.mime_type')], ['Response type', get(hh, 'response.mime_type')],
    ['Request body', present(get(hh, 'request.body.bytes')) ? fmt.bytes(get(hh, 'request.body.bytes')) : null],
    ['Response body', present(get(hh, 'response.body.bytes')) ? fmt.bytes(get(hh, 'response.body.bytes')) : null],
  ]));
}

function dhcpSection(rec) {
  const d = get(rec, 'spanwatch.dhcp');
  if (!d) return null;
  return section('DHCP', 'dhcp', kv([
    ['Message', d.message_type], ['Host name', d.hostname], ['Vendor class', d.vendor_class],
    ['Client MAC', d.client_mac], ['Requested address', d.requested_ip], ['Assigned address', d.assigned_ip],
    ['Parameter list', d.parameter_list],
  ]));
}

function riskSection(rec) {
  const list = get(rec, 'spanwatch.risk.list');
  const rules = get(rec, 'spanwatch.rules');
  const rows = [];
  const sevClass = (sev) => 'badge sev-' + (fmt.SEVERITY_ORDER.includes(String(sev || '').toLowerCase()) ? String(sev).toLowerCase() : 'low');
  for (const r of Array.isArray(list) ? list : [])
    rows.push(h('tr', {}, h('td', {}, r.name || 'risk ' + r.id),
                h('td', {}, h('span', { class: sevClass(r.severity) }, r.severity || '')),
                h('td', { class: 'num' }, present(r.score) ? String(r.score) : '')));
  for (const r of Array.isArray(rules) ? rules : [])
    rows.push(h('tr', {}, h('td', {}, 'rule: ' + (r.name || r.id)),
                h('td', {}, h('span', { class: sevClass(r.severity) }, r.severity || '')),
                h('td', {}, '')));
  if (!rows.length) return null;
  return section('Risks', 'risks', h('p', {}, 'Risk score: ', h('strong', {}, String(get(rec, 'spanwatch.risk.score') || 0))),
                 h('table', { class: 'grid small' }, h('thead', {}, h('tr', {}, h('th', {}, 'Risk'), h('th', {}, 'Severity'), h('th', {}, 'Score'))),
                   h('tbody', {}, rows)));
}

function tunnelSection(rec) {
  const t = get(rec, 'spanwatch.tunnel');
  if (!t) return null;
  return section('Tunnel', 'tunnel', kv([['Type', t.type], ['Depth', t.depth], ['Outer source', t.src_ip],
                                          ['Outer destination', t.dst_ip], ['Tunnel carrier flow', t.carrier]]));
}

export class DetailsView {
  constructor(app) { this.app = app; }
  // Where the record comes from and where "back" goes (HistoryDetailsView overrides both).
  endpoint() { return '/api/flow'; }
  back() { return ['#/flows', '← Live flows']; }
  mount(root, params, arg) {
    this.root = root;
    this.key = arg;
    replace(root, h('section', { class: 'view details' }, message('Loading…')));
    this.load();
  }
  update() { this.load(); }
  refresh() { if (this.active) this.load(); }
  async load() {
    try {
      const data = await api.get(this.endpoint(), { key: this.key });
      this.active = data.summary.active;
      this.render(data);
    } catch (err) {
      this.active = false;
      const [href, label] = this.back();
      replace(this.root, h('section', { class: 'view details' }, h('a', { href, class: 'back' }, label),
                           message('Cannot show flow ' + this.key + ': ' + problems(err), 'error')));
    }
  }
  render({ summary: f, record: rec }) {
    const net = rec.network || {};
    const l7 = get(rec, 'spanwatch.l7') || {};
    const ev = rec.event || {};
    const title = h('h1', {}, appCell(f), ' ', h('span', { class: 'ep-title' }, fmt.endpoint(f.client), ' → ', fmt.endpoint(f.server)));
    const overview = section('Overview', 'overview', kv([
      ['Flow id', f.id + (f.run > 1 ? ` (writer run ${f.run})` : '')],
      ['State', f.active ? 'active' : 'ended: ' + (ev.reason || '')],
      ['Application', f.app],
      ['Info', l7.info],
      ['Protocol', net.protocol], ['Application name', net.application], ['nDPI master', l7.master],
      ['Category', l7.category], ['Breed', l7.breed], ['Detection', l7.state], ['Confidence', l7.confidence],
      ['Encrypted', f.encrypted ? 'yes' : 'no'],
      ['L4 protocol', `${(net.transport || '').toUpperCase()}${net.iana_number !== undefined ? ' (IP protocol ' + net.iana_number + ')' : ''}`],
      ['IP version', net.type], ['VLAN', get(net, 'vlan.id')], ['Inner VLAN', get(net, 'inner.vlan.id')],
      ['Direction', net.direction],
      ['Community ID', net.community_id],
      ['Labels', f.labels.length ? h('span', {}, labelChips(f.labels), f.labels_derived ? h('span', { class: 'muted' }, ' (derived by the viewer)') : null) : null],
      ['First packet', fmt.time(f.start_us)], ['Last packet', fmt.time(f.end_us)],
      ['Duration', fmt.duration(f.duration_us)],
      ['Interface', get(rec, 'observer.ingress.interface.name')], ['Sensor', get(rec, 'observer.name')],
      ['Records received', f.records],
    ]));
    const traffic = section('Traffic', 'traffic', kv([
      ['Total', `${fmt.bytes(f.bytes)} in ${fmt.count(f.packets)} packets`],
      ['Breakdown', h('span', { class: 'bd-wide' }, breakdown(f.client.bytes, f.server.bytes))],
      ['Client → server', `${fmt.bytes(f.client.bytes)}, ${fmt.count(f.client.packets)} packets`],
      ['Server → client', `${fmt.bytes(f.server.bytes)}, ${fmt.count(f.server.packets)} packets`],
      ['Average throughput', fmt.bps(f.avg_bps)],
      ['Current throughput', f.active ? fmt.bps(f.cur_bps) : 'ended'],
      ['Fragments', get(rec, 'spanwatch.flow.fragments')],
    ]));
    const raw = h('section', { class: 'card raw', id: 'sec-raw', dataset: { section: 'raw' } },
                  h('h2', {}, 'Record (JSON)'), h('pre', { class: 'json' }, JSON.stringify(rec, null, 2)));
    const [backHref, backLabel] = this.back();
    replace(this.root, h('section', { class: 'view details', dataset: { key: f.key } },
      h('a', { href: backHref, class: 'back' }, backLabel), title,
      h('div', { class: 'cards' }, overview, traffic,
        endpointSection('Client', 'client', f.client, rec, 'source', 'src'),
        endpointSection('Server', 'server', f.server, rec, 'destination', 'dst'),
        tcpSection(f, rec), riskSection(rec), tlsSection(rec), sshSection(rec), dnsSection(rec), httpSection(rec),
        dhcpSection(rec), tunnelSection(rec)),
      raw));
  }
}
