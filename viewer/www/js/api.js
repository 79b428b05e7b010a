// The viewer's HTTP API (same origin; the session cookie, when a token is configured, rides along).

export class ApiError extends Error {
  constructor(status, message, problems) {
    super(message);
    this.status = status;
    this.problems = problems || [];
  }
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

export async function get(path, params) {
  const qs = params ? '?' + new URLSearchParams(params).toString() : '';
  const res = await fetch(path + qs, { credentials: 'same-origin', cache: 'no-store' });
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (res.status === 401) onUnauthorized();
  if (!res.ok) {
    const msg = body && body.error ? body.error : 'HTTP ' + res.status;
    throw new ApiError(res.status, msg, body && body.problems);
  }
  return body;
}

export async function login(token) {
  const res = await fetch('/api/login', {
    method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) throw new ApiError(res.status, body && body.error ? body.error : 'HTTP ' + res.status);
  return body;
}

// Live updates: server-sent events, with polling when streams are refused or fail.
export class LiveFeed {
  constructor(onUpdate, onState) {
    this.onUpdate = onUpdate;
    this.onState = onState;
    this.source = null;
    this.pollTimer = null;
    this.failures = 0;
  }
  start() {
    this.stop();
    if (typeof EventSource === 'undefined' || this.failures >= 3) { this.poll(); return; }
    const es = new EventSource('/api/events');
    this.source = es;
    es.addEventListener('update', (ev) => {
      this.failures = 0;
      let data = null;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      this.onState('live');
      this.onUpdate(data);
    });
    es.addEventListener('error', () => {
      this.failures++;
      this.onState('reconnecting');
      if (this.failures >= 3) { es.close(); this.source = null; this.poll(); }
    });
  }
  poll() {
    this.onState('polling');
    const tick = async () => {
      try {
        const st = await get('/api/stats');
        this.onUpdate({ version: st.version, flows: st.store.flows, active: st.store.active,
                        ring_state: st.ring.state, received: st.ring.received, missed: st.ring.missed,
                        records_per_s: st.ring.records_per_s });
      } catch (e) { this.onState('disconnected'); }
      this.pollTimer = setTimeout(tick, 2000);
    };
    tick();
  }
  stop() {
    if (this.source) { this.source.close(); this.source = null; }
    if (this.pollTimer) { clearTimeout(this.pollTimer); this.pollTimer = null; }
  }
}
