// Customer portal: my tickets, with what each one is waiting for.

import * as api from '../api.js';
import * as auth from '../auth.js';
import { h, mount } from '../dom.js';
import { formatDate, timeAgo } from '../format.js';
import * as live from '../live.js';
import { href } from '../router.js';
import { empty, errorBox, loading, pageTitle, placeBadge, priorityBadge } from '../ui.js';

function waitingFor(ticket) {
  const mine = ticket.available_transitions || [];
  if (mine.length) return h('span', { class: 'callout' }, 'Your answer is needed');
  return null;
}

function ticketCard(ticket) {
  const messages = ticket.message_count || (ticket.messages || []).length || 0;
  return h('li', { class: 'ticket-card', dataset: { ticketId: ticket.aggregate_id, place: ticket.place } },
    h('a', { href: href(`/ticket/${ticket.aggregate_id}`), class: 'ticket-card-link' },
      h('span', { class: 'ticket-card-subject' }, ticket.subject || '(no subject)')),
    h('div', { class: 'ticket-card-meta' },
      placeBadge(ticket.place), priorityBadge(ticket.priority), waitingFor(ticket),
      h('span', { class: 'muted small' }, `${messages} message${messages === 1 ? '' : 's'}`),
      h('span', { class: 'muted small' }, h('time', { datetime: ticket.updated_at, title: formatDate(ticket.updated_at) }, `updated ${timeAgo(ticket.updated_at)}`))));
}

export function renderPortal(root) {
  let disposed = false;
  let items = [];
  let nextCursor = null;
  const list = h('div', { class: 'portal-list', 'aria-live': 'polite', 'aria-busy': 'true' }, loading('Loading your tickets…'));
  const more = h('div', { class: 'pager' });
  const session = auth.current();

  async function load({ append = false } = {}) {
    list.setAttribute('aria-busy', 'true');
    try {
      const page = await api.listTickets({ requester: session.sub, sort: '-updated', limit: 25, cursor: append ? nextCursor : undefined });
      if (disposed) return;
      items = append ? [...items, ...page.items] : page.items;
      nextCursor = page.next_cursor;
      draw();
    } catch (err) {
      if (disposed) return;
      mount(list, errorBox(err, () => load(), 'Your tickets could not be loaded'));
    } finally {
      list.setAttribute('aria-busy', 'false');
    }
  }

  function draw() {
    if (!items.length) {
      mount(list, empty('You have no tickets yet.', 'When something does not work, open a ticket and our team will get back to you.',
        h('a', { class: 'btn btn-primary', href: href('/new') }, 'Open a ticket')));
    } else {
      mount(list, h('ul', { class: 'ticket-cards', 'aria-label': 'My tickets' }, items.map(ticketCard)));
    }
    mount(more, nextCursor ? h('button', { type: 'button', class: 'btn', onclick: () => load({ append: true }) }, 'Show more') : null);
  }

  let timer = null;
  const unsubscribe = live.subscribe((ticket) => {
    if (ticket && ticket.requester && ticket.requester !== session.sub) return;
    clearTimeout(timer);
    timer = setTimeout(() => load(), 25);
  });

  mount(root,
    pageTitle('My tickets', h('a', { class: 'btn btn-primary', href: href('/new') }, 'Open a ticket')),
    list, more);
  load();
  return () => {
    disposed = true;
    clearTimeout(timer);
    unsubscribe();
  };
}
