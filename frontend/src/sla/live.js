// Deadlines that stay true while the page is open: a badge with a symbol and words, and the time left, drawn from
// the instants in the ticket JSON and redrawn by the page's one clock (ui.js) exactly when a status changes and
// as the time left moves, without a reload. A status change is announced in the live region.

import { h, mount } from '../dom.js';
import { addClockHand, announce, startClock } from '../ui.js';
import { clockStatus, nextChangeMs, nextSlaChangeMs, slaStatusOf, slaSummary, timeLeftText } from './clock.js';

/** A status badge: symbol and words; data-sla-status names the status for scripts and styles. */
export function slaBadge(status) {
  const s = slaStatusOf(status);
  return h('span', { class: `state-badge sla-badge tone-${s.tone}`, title: s.means, dataset: { slaStatus: status } },
    h('span', { class: 'state-symbol', 'aria-hidden': 'true' }, s.symbol), s.label);
}

/** What a part shows at `now`: {status, key, nodes, delay}. */
function view(part, value, now) {
  if (part === 'summary') {
    const summary = slaSummary(value, now);
    if (!summary) return { status: 'none', key: 'none', nodes: () => h('span', { class: 'muted small' }, 'No deadline'), delay: Infinity };
    return {
      status: summary.status,
      key: `${summary.status}|${summary.text}`,
      nodes: () => [slaBadge(summary.status), ' ', h('span', { class: 'sla-left small' }, summary.text)],
      delay: nextSlaChangeMs(value, now),
    };
  }
  const status = clockStatus(value, now);
  if (part === 'status') return { status, key: status, nodes: () => slaBadge(status), delay: nextChangeMs(value, now) };
  const text = status === 'paused' ? 'Paused while waiting for the customer' : timeLeftText(value, now);
  return { status, key: text, nodes: () => text.charAt(0).toUpperCase() + text.slice(1), delay: nextChangeMs(value, now) };
}

/** Draw one live element at `now`; returns {delay, changedTo} (changedTo: the new status when it changed). */
function draw(el, now) {
  let value;
  try {
    value = JSON.parse(el.dataset.sla);
  } catch {
    return { delay: Infinity, changedTo: null };
  }
  const v = view(el.dataset.slaPart, value, now);
  const before = el.dataset.slaStatus;
  if (el.dataset.slaKey !== v.key) {
    el.dataset.slaKey = v.key;
    mount(el, v.nodes());
  }
  el.dataset.slaStatus = v.status;
  return { delay: v.delay, changedTo: before && before !== v.status ? v.status : null };
}

function hand(now) {
  let next = Infinity;
  const said = [];
  for (const el of document.querySelectorAll('[data-sla-part]')) {
    const { delay, changedTo } = draw(el, now);
    next = Math.min(next, delay);
    if (changedTo && el.dataset.slaName) said.push(`${el.dataset.slaName}: ${slaStatusOf(changedTo).label.toLowerCase()}`);
  }
  if (said.length) announce(`Deadline changed. ${said.join('; ')}.`);
  return next;
}
addClockHand(hand);

/**
 * A live element: `part` 'summary' (a ticket's "sla": badge and the leading clock's time), 'status' (a clock's
 * badge) or 'left' (a clock's time left). `name` (optional) is how an announced change names it.
 */
export function liveSla(part, value, { name = '', tag = 'span', className = '' } = {}) {
  const el = h(tag, { class: ['sla-live', `sla-${part}`, className], dataset: { slaPart: part, sla: JSON.stringify(value ?? null) } });
  if (name) el.dataset.slaName = name;
  const { delay } = draw(el, Date.now());
  if (Number.isFinite(delay)) startClock(delay);
  return el;
}
