// The queue's tickets drawn as a table (sortable headers, phone rows folding place and assignee under the
// subject) or as a board (a column per place), the empty states, and redrawing without losing the keyboard's place.

import { h, mount } from '../dom.js';
import { personalText } from '../erased.js';
import { formatDate, humanize, shortId, timeAgo } from '../format.js';
import { href } from '../router.js';
import { empty, placeBadge, priorityBadge } from '../ui.js';
import * as unread from '../unread.js';
import { liveSla } from '../sla/live.js';
import { emptyKind, NO_FILTERS, SORTABLE, sortColumn } from './query.js';

/** The subject link of a ticket: its number, subject and, when changed since last seen, an "Unread" marker. */
export function ticketLink(t) {
  return h('a', { href: href(`/ticket/${t.aggregate_id}`), class: 'card-link' },
    h('span', { class: 'ticket-no' }, `#${shortId(t.aggregate_id)}`),
    personalText(t.subject, '(no subject)'),
    unread.isUnread(t) ? h('span', { class: 'unread-mark', dataset: { unread: '' } }, 'Unread') : null);
}

const relative = (at) => h('time', { datetime: at, title: formatDate(at) }, timeAgo(at));
const assigneeText = (t) => (t.assignee ? `@${t.assignee}` : 'unassigned');
/** A ticket's deadline, live: status badge and time left of its leading clock. */
const deadline = (t) => liveSla('summary', t.sla || null, { name: `#${shortId(t.aggregate_id)}` });

/** What an empty list says, for the state `q`; its button hands a patch to onChange. */
export function emptyState(q, onChange) {
  const button = (text, patch) => h('button', { type: 'button', class: 'btn', onclick: () => onChange(patch) }, text);
  switch (emptyKind(q)) {
    case 'place':
      // The escalated queue and the place chips: say what is empty, not that filters failed.
      return empty(`No ticket is ${humanize(q.place).toLowerCase()} right now.`,
        'Tickets show up here, live, as soon as one reaches this place.', button('Show all places', { place: '' }));
    case 'search':
      return empty(`No ticket matches “${q.q}”.`,
        'Search looks at ticket numbers, requesters, assignees, subjects, descriptions and the conversation.',
        button('Clear the search', { q: '' }));
    case 'filtered':
      return empty('No ticket matches these filters.', 'Change or clear the filters to see more.', button('Clear filters', NO_FILTERS));
    default:
      return empty('The queue is empty.', 'New tickets appear here as soon as customers open them.', null);
  }
}

function sortHeader(q, field, onChange) {
  const { active, desc, ariaSort, next } = sortColumn(q.sort, field);
  return h('th', { scope: 'col', class: `col-${field}`, 'aria-sort': ariaSort },
    h('button', { type: 'button', class: 'th-sort', onclick: () => onChange({ sort: next }) },
      SORTABLE[field], h('span', { class: 'sort-icon', 'aria-hidden': 'true' }, active ? (desc ? ' ▼' : ' ▲') : ' ↕')));
}

/**
 * Draw a page of tickets as a table into `results`. `rowClass(t)` gives a row's state classes, `bulk` the
 * selection boxes, `caption` the table's accessible caption.
 */
export function drawTable(results, { items, q, caption, bulk, rowClass, onChange }) {
  if (!items.length) {
    mount(results, emptyState(q, onChange));
    return;
  }
  const rows = items.map((t) => h('tr', { dataset: { ticketId: t.aggregate_id, place: t.place }, class: rowClass(t) },
    h('td', { class: 'cell-check' }, bulk.checkbox(t)),
    h('td', { class: 'cell-subject' }, ticketLink(t),
      // On a phone the place and assignee columns fold into this line under the subject.
      h('div', { class: 'row-meta' }, placeBadge(t.place), ' ', h('span', { class: 'muted small' }, assigneeText(t)))),
    h('td', { class: 'col-place' }, placeBadge(t.place)),
    h('td', { class: 'col-priority' }, priorityBadge(t.priority)),
    h('td', { class: 'col-sla', dataset: { testid: 'sla' } }, deadline(t)),
    h('td', { class: 'col-requester' }, t.requester || '—'),
    h('td', { class: 'col-assignee' }, t.assignee || h('span', { class: 'muted' }, 'unassigned')),
    h('td', { class: 'col-created' }, relative(t.created_at)),
    h('td', { class: 'col-updated' }, relative(t.updated_at))));
  mount(results, h('div', { class: 'table-wrap' }, h('table', { class: 'table queue-table' },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col', class: 'cell-check' }, bulk.selectAllBox(items)),
      h('th', { scope: 'col' }, 'Subject'), h('th', { scope: 'col', class: 'col-place' }, 'Place'), sortHeader(q, 'priority', onChange), sortHeader(q, 'sla_due', onChange),
      h('th', { scope: 'col', class: 'col-requester' }, 'Requester'), h('th', { scope: 'col', class: 'col-assignee' }, 'Assignee'),
      sortHeader(q, 'created', onChange), sortHeader(q, 'updated', onChange))),
    h('tbody', null, rows))));
}

/** Draw the board: one column per place of `board` ([{place, items, next_cursor}]), each linking to the rest. */
export function drawBoard(results, { board, q, bulk, rowClass }) {
  const columns = board.map((col) => h('section', { class: 'board-col', dataset: { place: col.place }, 'aria-labelledby': `col-${col.place}` },
    h('h2', { id: `col-${col.place}`, class: 'board-col-title' }, placeBadge(col.place),
      h('span', { class: 'muted small' }, `${col.items.length}${col.next_cursor ? '+' : ''}`)),
    col.items.length
      ? h('ul', { class: 'board-cards' }, col.items.map((t) => h('li', { class: ['board-card', ...rowClass(t)], dataset: { ticketId: t.aggregate_id } },
        ticketLink(t),
        h('div', { class: 'board-card-meta' }, bulk.checkbox(t), priorityBadge(t.priority),
          h('span', { class: 'muted small' }, assigneeText(t)),
          h('span', { class: 'muted small' }, timeAgo(t.updated_at))),
        t.sla ? h('div', { class: 'board-card-sla', dataset: { testid: 'sla' } }, deadline(t)) : null)))
      : h('p', { class: 'muted small board-empty' }, 'Nothing here'),
    col.next_cursor ? h('a', { class: 'small', href: href('/queue', { ...q, view: '', place: col.place }) }, `See all ${humanize(col.place).toLowerCase()}`) : null));
  mount(results, h('div', { class: 'board' }, columns));
}

/** Redraw without losing the keyboard's place: focus goes back to the same ticket's link or checkbox. */
export function keepingFocus(results, draw) {
  const focused = document.activeElement;
  const row = focused && results.contains(focused) ? focused.closest('[data-ticket-id]') : null;
  const what = row ? (focused.matches('input[type=checkbox]') ? 'input[type=checkbox]' : 'a.card-link') : null;
  draw();
  if (!row) return;
  const again = [...results.querySelectorAll('[data-ticket-id]')].find((el) => el.dataset.ticketId === row.dataset.ticketId);
  const target = again && again.querySelector(what);
  if (target) target.focus({ preventScroll: true });
}
