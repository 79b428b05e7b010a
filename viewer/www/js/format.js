// Human units and plain-language meanings for the record's codes (Zeek conn_state and history, TCP flags).

export function bytes(n) {
  if (n === undefined || n === null) return '';
  const u = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0, v = Number(n);
  while (v >= 1000 && i < u.length - 1) { v /= 1000; i++; }
  return (i === 0 ? String(Math.round(v)) : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)) + ' ' + u[i];
}

export function bps(n) {
  const v = Number(n || 0);
  if (v <= 0) return '0 bps';
  const u = ['bps', 'kbps', 'Mbps', 'Gbps', 'Tbps'];
  let i = 0, x = v;
  while (x >= 1000 && i < u.length - 1) { x /= 1000; i++; }
  return (x < 10 && i > 0 ? x.toFixed(2) : x < 100 && i > 0 ? x.toFixed(1) : Math.round(x)) + ' ' + u[i];
}

export function count(n) {
  return Number(n || 0).toLocaleString('en-US');
}

export function duration(us) {
  let s = Math.max(0, Number(us || 0)) / 1e6;
  if (s < 1) return s === 0 ? '0 s' : (s * 1000).toFixed(s < 0.01 ? 2 : 0) + ' ms';
  if (s < 60) return s.toFixed(s < 10 ? 2 : 1) + ' s';
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s = Math.floor(s - m * 60);
  const parts = [];
  if (d) parts.push(d + 'd');
  if (h || d) parts.push(h + 'h');
  parts.push(m + 'm', s + 's');
  return parts.join(' ');
}

export function time(us) {
  if (!us) return '';
  return new Date(Number(us) / 1000).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

export function endpoint(ep) {
  if (!ep) return '';
  const ip = ep.ip && ep.ip.includes(':') ? '[' + ep.ip + ']' : (ep.ip || '');
  return ep.port !== undefined ? ip + ':' + ep.port : ip;
}

export const TCP_FLAGS = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];
export function flagNames(bits) {
  if (bits === undefined || bits === null) return [];
  return TCP_FLAGS.filter((_, i) => bits & (1 << i));
}

// Zeek's conn_state, as its documentation explains each code.
export const CONN_STATES = {
  S0: 'Connection attempt seen, no reply',
  S1: 'Connection established, not terminated',
  SF: 'Normal establishment and termination',
  REJ: 'Connection attempt rejected',
  S2: 'Established, close attempt by originator seen (no reply from responder)',
  S3: 'Established, close attempt by responder seen (no reply from originator)',
  RSTO: 'Established, originator aborted (sent a RST)',
  RSTR: 'Established, responder aborted (sent a RST)',
  RSTOS0: 'Originator sent a SYN then a RST; no SYN-ACK from the responder seen',
  RSTRH: 'Responder sent a SYN-ACK then a RST; no SYN from the originator seen',
  SH: 'Originator sent a SYN then a FIN; no SYN-ACK from the responder seen (half open)',
  SHR: 'Responder sent a SYN-ACK then a FIN; no SYN from the originator seen',
  OTH: 'No SYN seen, just midstream traffic',
};
export const CONN_MAJOR = {
  ATTEMPTED: 'the connection was attempted but never established',
  ESTABLISHED: 'the connection is (or was) carrying traffic',
  CLOSED: 'the connection was established and then closed',
};

const HISTORY = {
  s: 'SYN', h: 'SYN-ACK', a: 'pure ACK', d: 'packet with payload', f: 'FIN', r: 'RST', c: 'bad checksum',
  g: 'content gap', i: 'inconsistent packet', q: 'multi-flag packet', t: 'retransmission',
  w: 'zero window', n: 'bad header', x: 'excess',
};
export function historySteps(hist) {
  const out = [];
  for (const ch of String(hist || '')) {
    if (ch === '^') { out.push({ ch, who: '', what: 'roles flipped (the first packet came from the responder)' }); continue; }
    const what = HISTORY[ch.toLowerCase()];
    if (!what) continue;
    out.push({ ch, who: ch === ch.toUpperCase() ? 'client' : 'server', what });
  }
  return out;
}

export const LABELS = {
  connection_attempt: 'Connection attempt: never answered or refused',
  potential_scan: 'Potential scan: probe-like packets without data',
  unidirectional: 'Unidirectional: packets only one way',
  long_lived: 'Long-lived flow',
  elephant: 'Elephant flow: large volume',
};

export const SEVERITY_ORDER = ['', 'low', 'medium', 'high', 'severe', 'critical', 'emergency'];

export function countryOk(code) {
  return typeof code === 'string' && /^[A-Z]{2}$/.test(code);
}
