// The ticket page's service level (staff only): each clock (first response, resolution) with its status, due
// time (with its zone, like every time on the page), the time left or overdue kept live by the page clock, the
// warning instant, the time counted against the target, a paused clock said as such, and when it was met.

import { h, mount } from '../dom.js';
import { formatDuration } from '../format.js';
import { timeEl } from '../ui.js';
import { CLOCK_NAMES } from './clock.js';
import { liveSla } from './live.js';

function clockBlock(name, clock) {
  const title = CLOCK_NAMES[name];
  const rows = [
    ['Status', liveSla('status', clock, { name: title }), 'status'],
    clock.met_at ? ['Met', timeEl(clock.met_at, { relative: false }), 'met'] : null,
    !clock.met_at ? ['Due', clock.due_at ? timeEl(clock.due_at, { relative: false }) : h('span', { class: 'muted' }, 'not while paused'), 'due'] : null,
    !clock.met_at ? ['Time left', liveSla('left', clock), 'left'] : null,
    !clock.met_at && clock.warning_at ? ['Warning from', timeEl(clock.warning_at, { relative: false }), 'warning'] : null,
    ['Target', formatDuration(clock.target_seconds), 'target'],
    ['Counted so far', formatDuration(clock.elapsed_seconds), 'elapsed'],
  ].filter(Boolean);
  return h('div', { class: 'sla-clock', dataset: { clock: name } },
    h('h3', null, title),
    h('dl', { class: 'fields' }, rows.map(([k, v, key]) => [h('dt', null, k), h('dd', { dataset: { field: `sla-${key}` } }, v)])));
}

/** Draw the service level of `ticket` into `section` (its "sla": null when no policy applies). */
export function drawServiceLevel(section, ticket) {
  if (!('sla' in ticket) && section.firstChild) return; // a view without the field (a live event's): keep what is shown
  const sla = ticket.sla;
  const signature = JSON.stringify(sla || null);
  if (section.dataset.signature === signature && section.firstChild) return; // the clock keeps it live
  section.dataset.signature = signature;
  const clocks = sla ? Object.keys(CLOCK_NAMES).filter((name) => sla[name]) : [];
  mount(section, h('h2', { id: 'sla-title' }, 'Service level'),
    clocks.length
      ? clocks.map((name) => clockBlock(name, sla[name]))
      : h('p', { class: 'muted small', dataset: { testid: 'sla-none' } }, 'No service-level target applies to this ticket.'));
}
