// The single-page app: hash routing (#/flows?…, #/flow/<key>, #/analysis/<by>?…, #/charts, #/status,
// #/history?…, #/hflow/<msg_id>),
// the live-update feed with pause/resume, and the token login when the server asks for one.
import { h, replace } from './dom.js';
import * as api from './api.js';
import * as fmt from './format.js';
import { FlowsView } from './flows.js';
import { DetailsView } from './details.js';
import { AnalysisView } from './analysis.js';
import { ChartsView } from './charts.js';
import { StatusView } from './status.js';
import { HistoryView, HistoryDetailsView } from './history.js';

class App {
  constructor() {
    this.root = document.getElementById('view');
    this.paused = false;
    this.view = null;
    this.viewName = '';
    this.lastVersion = -1;
    this.liveState = document.getElementById('live-state');
    this.liveCounts = document.getElementById('live-counts');
    this.pauseBtn = document.getElementById('pause');
    this.pauseBtn.addEventListener('click', () => this.togglePause());
    this.feed = new api.LiveFeed((u) => this.onUpdate(u), (st) => this.setLive(st));
    api.setUnauthorizedHandler(() => this.showLogin());
    window.addEventListener('hashchange', () => this.route());
  }
  async start() {
    try {
      const s = await api.get('/api/session');
      if (s.token_required && !s.authorized) { this.showLogin(); return; }
    } catch (e) { /* the views will say what is wrong */ }
    this.feed.start();
    this.route();
  }
  navigate(path, params) {
    const qs = params && params.toString();
    location.hash = '#/' + path + (qs ? '?' + qs : '');
  }
  open(kind, key) { location.hash = '#/' + kind + '/' + encodeURIComponent(key); }
  route() {
    const hash = location.hash.replace(/^#\/?/, '') || 'flows';
    const [path, qs] = hash.split('?', 2);
    const params = new URLSearchParams(qs || '');
    const [name, ...rest] = path.split('/');
    const arg = rest.length ? decodeURIComponent(rest.join('/')) : '';
    const views = { flows: FlowsView, flow: DetailsView, analysis: AnalysisView, charts: ChartsView, status: StatusView,
                    history: HistoryView, hflow: HistoryDetailsView };
    const View = views[name] || FlowsView;
    const viewName = views[name] ? name : 'flows';
    for (const a of document.querySelectorAll('#nav a'))
      a.classList.toggle('active', a.dataset.view === viewName || (viewName === 'flow' && a.dataset.view === 'flows') ||
                                   (viewName === 'hflow' && a.dataset.view === 'history'));
    if (this.view && this.viewName === viewName && viewName !== 'flow' && viewName !== 'hflow' && this.view.update) {
      this.view.update(params, arg);
    } else {
      this.view = new View(this);
      this.viewName = viewName;
      this.view.mount(this.root, params, arg);
    }
    document.body.dataset.view = viewName;
  }
  onUpdate(u) {
    replace(this.liveCounts, `${fmt.count(u.flows)} flows · ${fmt.count(u.active)} active · ` +
            `${fmt.count(Math.round(u.records_per_s || 0))} rec/s` + (u.missed ? ` · ${fmt.count(u.missed)} missed` : ''));
    this.liveCounts.title = 'ring: ' + (u.ring_state || '');
    document.body.dataset.ring = u.ring_state || '';
    if (this.paused || u.version === this.lastVersion) return;
    this.lastVersion = u.version;
    if (this.view && this.view.refresh) this.view.refresh();
  }
  setLive(state) {
    if (this.paused) return;
    replace(this.liveState, state);
    this.liveState.className = 'live-state ' + state;
  }
  togglePause() {
    this.paused = !this.paused;
    this.pauseBtn.textContent = this.paused ? 'Resume' : 'Pause';
    this.pauseBtn.setAttribute('aria-pressed', String(this.paused));
    replace(this.liveState, this.paused ? 'paused' : 'live');
    this.liveState.className = 'live-state ' + (this.paused ? 'paused' : 'live');
    document.body.dataset.paused = this.paused ? '1' : '0';
    if (!this.paused && this.view && this.view.refresh) this.view.refresh();
  }
  showLogin() {
    if (document.getElementById('login')) return;
    this.feed.stop();
    const input = h('input', { type: 'password', id: 'login-token', autocomplete: 'current-password',
                               'aria-label': 'Access token', placeholder: 'access token' });
    const msg = h('p', { class: 'msg', id: 'login-msg' });
    const submit = async (ev) => {
      ev.preventDefault();
      try {
        await api.login(input.value);
        location.reload();
      } catch (err) {
        replace(msg, err.message);
      }
    };
    replace(this.root, h('section', { class: 'view login' },
      h('form', { id: 'login', class: 'card login-card', onsubmit: submit },
        h('h1', {}, 'Access token'),
        h('p', {}, 'This viewer is reachable from the network, so it asks for the access token its operator configured.'),
        input, h('button', { type: 'submit', class: 'btn primary' }, 'Sign in'), msg)));
  }
}

const app = new App();
window.spanwatchApp = app;  // for the browser tests
app.start();
