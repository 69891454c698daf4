// The ticket's heading, its status in the reader's words, and the details card.

import { h, mount } from '../dom.js';
import { personalText } from '../erased.js';
import { shortId } from '../format.js';
import { placeBadge, priorityBadge, timeEl } from '../ui.js';
import { customerStatus } from '../words.js';

export function drawHeader(head, ticket, { staff, me }) {
  head.dataset.version = String(ticket.version);
  head.dataset.place = ticket.place;
  const status = customerStatus(ticket.place);
  mount(head,
    h('div', { class: 'page-head' },
      h('h1', { id: 'page-title', tabindex: '-1', class: 'ticket-subject' }, personalText(ticket.subject, '(no subject)')),
      h('div', { class: 'head-badges' }, placeBadge(ticket.place, { staff }), priorityBadge(ticket.priority))),
    h('p', { class: 'muted ticket-meta' },
      `#${shortId(ticket.aggregate_id)} · `,
      staff || ticket.requester !== me ? `opened by ${ticket.requester} ` : 'opened ',
      timeEl(ticket.created_at),
      staff ? (ticket.assignee ? ` · assigned to ${ticket.assignee}` : ' · unassigned') : null),
    staff ? null : h('p', { class: ['status-panel', `status-${ticket.place}`], dataset: { testid: 'customer-status' } },
      h('strong', null, status.label), status.next ? ` — ${status.next}` : null));
}

export function drawDetails(details, ticket, { staff }) {
  const rows = staff
    ? [
      ['Place', placeBadge(ticket.place, { staff }), 'place'],
      ['Priority', priorityBadge(ticket.priority), 'priority'],
      ['Requester', ticket.requester || '—', 'requester'],
      ['Assignee', ticket.assignee || 'unassigned', 'assignee'],
      ['Created', timeEl(ticket.created_at, { relative: false }), 'created'],
      ['Updated', timeEl(ticket.updated_at, { relative: false }), 'updated'],
      ['Resolved', ticket.resolved_at ? timeEl(ticket.resolved_at, { relative: false }) : '—', 'resolved'],
      ['Closed', ticket.closed_at ? timeEl(ticket.closed_at, { relative: false }) : '—', 'closed'],
      ['Reopened', `${ticket.reopen_count || 0} time${ticket.reopen_count === 1 ? '' : 's'}`, 'reopened'],
      ['Version', String(ticket.version), 'version'],
    ]
    : [
      ['Status', placeBadge(ticket.place, { staff }), 'status'],
      ['Priority', priorityBadge(ticket.priority), 'priority'],
      ['Handled by', ticket.assignee || 'not assigned yet', 'assignee'],
      ['Opened', timeEl(ticket.created_at, { relative: false }), 'created'],
      ['Last change', timeEl(ticket.updated_at, { relative: false }), 'updated'],
      ticket.resolved_at ? ['Resolved', timeEl(ticket.resolved_at, { relative: false }), 'resolved'] : null,
      ticket.closed_at ? ['Closed', timeEl(ticket.closed_at, { relative: false }), 'closed'] : null,
    ].filter(Boolean);
  mount(details, h('h2', { id: 'details-title' }, 'Details'),
    h('dl', { class: 'fields' }, rows.map(([k, v, key]) => [h('dt', null, k), h('dd', { dataset: { field: key } }, v)])));
}
