// Customer portal: my tickets, each with its status in the customer's words and what it waits for, and a search.

import * as api from '../api.js';
import * as auth from '../auth.js';
import { coalesce } from '../coalesce.js';
import { h, mount, uid } from '../dom.js';
import { personalText } from '../erased.js';
import * as live from '../live.js';
import { href, parse, replaceQuery } from '../router.js';
import { empty, errorBox, loading, pageTitle, placeBadge, priorityBadge, timeEl } from '../ui.js';
import { replyCount } from '../words.js';

function waitingFor(ticket) {
  const mine = ticket.available_transitions || [];
  if (mine.includes('customer_reply')) return h('span', { class: 'callout' }, 'Your answer is needed');
  return null;
}

function ticketCard(ticket) {
  return h('li', { class: 'ticket-card', dataset: { ticketId: ticket.aggregate_id, place: ticket.place } },
    h('a', { href: href(`/ticket/${ticket.aggregate_id}`), class: 'ticket-card-link' },
      h('span', { class: 'ticket-card-subject' }, personalText(ticket.subject, '(no subject)'))),
    h('div', { class: 'ticket-card-meta' },
      placeBadge(ticket.place, { staff: false }), priorityBadge(ticket.priority), waitingFor(ticket),
      h('span', { class: 'muted small', dataset: { testid: 'reply-count' } }, replyCount(ticket)),
      h('span', { class: 'muted small' }, timeEl(ticket.updated_at, { prefix: 'updated ' }))));
}

export function renderPortal(root) {
  let disposed = false;
  let items = [];
  let nextCursor = null;
  let q = parse().query.q || ''; // #/tickets?q=printer
  const list = h('div', { class: 'portal-list', 'aria-live': 'polite', 'aria-busy': 'true' }, loading('Loading your tickets…'));
  const more = h('div', { class: 'pager' });
  const session = auth.current();

  const searchId = uid('portal-q');
  const search = h('input', { id: searchId, type: 'search', name: 'q', value: q, autocomplete: 'off', placeholder: 'Ticket number, subject or words from the conversation' });
  const typed = coalesce(() => setQuery(search.value), 300);
  const searchForm = h('form', { class: 'portal-search', role: 'search', onsubmit: (e) => { e.preventDefault(); typed.now(); } },
    h('label', { for: searchId }, 'Search my tickets'), h('div', { class: 'search-row' }, search,
      h('button', { type: 'submit', class: 'btn' }, 'Search')));
  search.addEventListener('input', typed);

  function setQuery(value) {
    const next = value.trim();
    if (next === q) return;
    q = next;
    replaceQuery(q ? { q } : {});
    load();
  }

  let loadSeq = 0;
  async function load({ append = false } = {}) {
    const seq = ++loadSeq;
    list.setAttribute('aria-busy', 'true');
    try {
      const page = await api.listTickets({ requester: session.sub, q, sort: '-updated', limit: 25, cursor: append ? nextCursor : undefined });
      if (disposed || seq !== loadSeq) return;
      items = append ? [...items, ...page.items] : page.items;
      nextCursor = page.next_cursor;
      draw();
    } catch (err) {
      if (disposed || seq !== loadSeq) return;
      mount(list, errorBox(err, () => load(), 'Your tickets could not be loaded'));
    } finally {
      if (seq === loadSeq) list.setAttribute('aria-busy', 'false');
    }
  }

  function draw() {
    if (!items.length && q) {
      mount(list, empty(`No ticket of yours matches “${q}”.`, 'Try another word, or the ticket number.',
        h('button', { type: 'button', class: 'btn', onclick: () => { search.value = ''; setQuery(''); } }, 'Show all my tickets')));
    } else if (!items.length) {
      mount(list, empty('You have no tickets yet.', 'When something does not work, open a ticket and our team will get back to you.',
        h('a', { class: 'btn btn-primary', href: href('/new') }, 'Open a ticket')));
    } else {
      mount(list, h('ul', { class: 'ticket-cards', 'aria-label': q ? `My tickets matching ${q}` : 'My tickets' }, items.map(ticketCard)));
    }
    mount(more, nextCursor ? h('button', { type: 'button', class: 'btn', onclick: () => load({ append: true }) }, 'Show more') : null);
  }

  const stopLive = live.reloadOnChange(() => load(), {
    concerns: (ticket) => !(ticket && ticket.requester && ticket.requester !== session.sub),
  });

  mount(root,
    pageTitle('My tickets', h('a', { class: 'btn btn-primary', href: href('/new') }, 'Open a ticket')),
    searchForm, list, more);
  load();
  return () => {
    disposed = true;
    typed.cancel();
    stopLive();
  };
}
