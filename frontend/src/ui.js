// Shared pieces of UI: loading, empty and error states, badges, page titles and announcements.

import { h } from './dom.js';
import { humanize } from './format.js';

export function loading(text = 'Loading…') {
  return h('div', { class: 'state state-loading', role: 'status', 'aria-live': 'polite' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', null, text));
}

export function empty(title, hint, action) {
  return h('div', { class: 'state state-empty' },
    h('p', { class: 'state-title' }, title), hint ? h('p', { class: 'muted' }, hint) : null, action || null);
}

/** An error box with the API's message, its code and request id, and an optional retry button. */
export function errorBox(err, retry, title = 'Something went wrong') {
  const status = err && err.status;
  const details = [];
  if (err && err.code) details.push(`code: ${err.code}`);
  if (status) details.push(`HTTP ${status}`);
  if (err && err.requestId) details.push(`request ${err.requestId}`);
  return h('div', { class: 'state state-error', role: 'alert' },
    h('p', { class: 'state-title' }, title),
    h('p', { class: 'error-message' }, (err && err.message) || String(err)),
    details.length ? h('p', { class: 'muted small' }, details.join(' · ')) : null,
    retry ? h('button', { type: 'button', class: 'btn', onclick: retry }, 'Try again') : null);
}

export function placeBadge(place) {
  return h('span', { class: `badge place place-${place}`, dataset: { place } }, humanize(place));
}

export function priorityBadge(priority) {
  return h('span', { class: `badge priority priority-${priority}` }, humanize(priority || 'normal'));
}

export function pageTitle(text, ...extra) {
  document.title = `${text} · Help desk`;
  return h('div', { class: 'page-head' }, h('h1', { id: 'page-title', tabindex: '-1' }, text), ...extra);
}

/** Move focus to the page title after a route change, so screen readers and keyboards start at the top. */
export function focusTitle() {
  const title = document.getElementById('page-title');
  if (title && !title.contains(document.activeElement)) title.focus({ preventScroll: true });
}

let toastTimer = null;
/** A short message in the polite live region at the bottom of the page. */
export function announce(text, kind = 'info') {
  const region = document.getElementById('toast');
  if (!region) return;
  region.className = `toast toast-${kind} show`;
  region.textContent = text;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    region.className = 'toast';
    region.textContent = '';
  }, 4000);
}
