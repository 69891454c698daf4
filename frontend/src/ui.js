// Shared pieces of UI: loading, empty and error states, badges, times, page titles and announcements.

import * as auth from './auth.js';
import { h } from './dom.js';
import { formatDate, humanize, refreshDelay, timeAgo } from './format.js';
import { errorDetail, errorText, statusLabel } from './words.js';

export function loading(text = 'Loading…') {
  return h('div', { class: 'state state-loading', role: 'status', 'aria-live': 'polite' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', null, text));
}

export function empty(title, hint, action) {
  return h('div', { class: 'state state-empty' },
    h('p', { class: 'state-title' }, title), hint ? h('p', { class: 'muted' }, hint) : null, action || null);
}

/**
 * An error box with the failure in plain words and an optional retry button. Staff also get the technical
 * detail (code, HTTP status, request id) folded in a <details>; customers never see codes.
 */
export function errorBox(err, retry, title = 'Something went wrong') {
  const staff = auth.isStaff();
  const detail = staff ? errorDetail(err) : '';
  return h('div', { class: 'state state-error', role: 'alert' },
    h('p', { class: 'state-title' }, title),
    h('p', { class: 'error-message' }, err && (err.status !== undefined || err.code) ? errorText(err, { staff }) : String((err && err.message) || err)),
    detail ? h('details', { class: 'error-detail' }, h('summary', null, 'Technical details'), h('p', { class: 'muted small' }, detail)) : null,
    retry ? h('button', { type: 'button', class: 'btn', onclick: retry }, 'Try again') : null);
}

/** The status of a ticket: the place's name for staff, a customer's words otherwise (data-place is the place). */
/** The box under a form where what stopped or refused it is said (hidden while there is nothing to say). */
export function formErrorArea() {
  return h('div', { class: 'form-error', role: 'alert', tabindex: '-1', hidden: true });
}

export function placeBadge(place, { staff = auth.isStaff() } = {}) {
  return h('span', { class: `badge place place-${place}`, dataset: { place } }, statusLabel(place, staff));
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

// ---- times ------------------------------------------------------------------------------------------------

let clockTimer = null;
let clockAt = Infinity; // when the planned tick runs
const hands = new Set(); // other things the clock keeps fresh: fn(now) redraws, returns ms until its next change

/** Plan the next tick in `delay` ms unless one is planned sooner. */
function plan(delay) {
  const at = Date.now() + delay;
  if (clockTimer !== null && clockAt <= at) return;
  clearTimeout(clockTimer);
  clockAt = at;
  clockTimer = setTimeout(tick, Math.max(0, delay));
}

/** Re-read every relative time on the page (each <time data-relative> carries its ISO time) and plan the next. */
function tick() {
  clockTimer = null;
  clockAt = Infinity;
  const now = Date.now();
  let next = Infinity;
  for (const el of document.querySelectorAll('time[data-relative]')) {
    const text = `${el.dataset.prefix || ''}${timeAgo(el.dateTime, now)}`;
    if (el.textContent !== text) el.textContent = text;
    next = Math.min(next, refreshDelay(el.dateTime, now));
  }
  for (const hand of hands) next = Math.min(next, hand(now));
  if (Number.isFinite(next)) plan(next);
}

/** Make sure the page's one clock runs (it stops by itself when nothing on the page needs it), within `delay` ms. */
export function startClock(delay = 15_000) {
  plan(delay);
}

/**
 * Add a hand to the page's one clock: `hand(now)` redraws what it owns and returns the ms until it next needs to
 * (Infinity when nothing of it is on the page). Added once; startClock(ms) wakes the clock sooner.
 */
export function addClockHand(hand) {
  hands.add(hand);
}

/**
 * <time datetime=ISO title="28 Nov 2026, 09:05 CET">5 minutes ago</time>: a relative time kept fresh by the
 * page clock, with the absolute time and its zone in the title and the accessible name. With relative: false,
 * the absolute time is the text.
 */
export function timeEl(iso, { relative = true, prefix = '' } = {}) {
  if (!iso) return h('span', null, '—');
  const absolute = formatDate(iso);
  if (!relative) return h('time', { datetime: iso, title: absolute }, absolute);
  startClock();
  return h('time', { datetime: iso, title: absolute, dataset: { relative: '', prefix } }, `${prefix}${timeAgo(iso)}`);
}

// ---- announcements ----------------------------------------------------------------------------------------

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
