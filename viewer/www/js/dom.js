// DOM building without HTML parsing. Every string that may come from a packet goes in as a text node
// (textContent) or as an attribute value; nothing here ever assigns innerHTML/outerHTML or uses
// insertAdjacentHTML, and the page's Trusted Types policy makes any such assignment throw.

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

function setAttrs(el, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) {
      if (typeof v !== 'function') throw new TypeError('event handlers must be functions');
      el.addEventListener(k.slice(2), v);
    } else if (k === 'dataset') {
      for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = String(dv);
    } else if (k === 'href') {
      el.setAttribute('href', safeHref(v));
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
}

// Only in-app fragments and https links to known hosts (reputation look-ups) are allowed as links.
export function safeHref(v) {
  const s = String(v);
  if (s.startsWith('#')) return s;
  try {
    const u = new URL(s);
    if (u.protocol === 'https:') return u.href;
  } catch (e) { /* fall through */ }
  return '#';
}

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  return append(el, children);
}

export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, String(v));
  }
  return append(el, children);
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

// Small fixed icons (constant path data, never packet-derived).
const ICONS = {
  lock: 'M5 7V5a3 3 0 0 1 6 0v2h1v7H4V7h1zm2 0h2V5a1 1 0 0 0-2 0v2z',
  warn: 'M8 1l7 13H1L8 1zm-1 5v4h2V6H7zm0 5v2h2v-2H7z',
  open: 'M3 3h10v10H3z',
};
export function icon(name, title, cls) {
  return s('svg', { viewBox: '0 0 16 16', width: 14, height: 14, class: 'icon ' + (cls || name), role: 'img',
                    'aria-label': title },
           s('title', {}, title), s('path', { d: ICONS[name] }));
}
