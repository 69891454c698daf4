// Agent console: the queue as a table or a board by place. This module holds the page's state (the query, the
// page of tickets, the cursors) and loads it; the parts draw it: queue/filters.js (search, filters, fold),
// queue/counts.js (per place), queue/list.js (table, board, empty states), queue/keys.js (j/k/o/x),
// queue/bulk-ui.js (bulk assign / close), queue/query.js (the state and the URL).

import * as api from '../api.js';
import * as auth from '../auth.js';
import { h, mount } from '../dom.js';
import * as live from '../live.js';
import { BulkActions } from '../queue/bulk-ui.js';
import { createCounts } from '../queue/counts.js';
import { createFilters } from '../queue/filters.js';
import { listKeys } from '../queue/keys.js';
import { drawBoard, drawTable, keepingFocus } from '../queue/list.js';
import { BOARD_SIZE, boardPlaces, listParams, PAGE_SIZE, queryFromUrl, queueTitle, urlFromQuery } from '../queue/query.js';
import { replaceQuery } from '../router.js';
import { errorBox, loading, pageTitle } from '../ui.js';
import * as unread from '../unread.js';

export function renderQueue(root, ctx, schema) {
  let disposed = false;
  const session = auth.current();
  const places = schema.places.map((p) => p.name);
  const priority = schema.create_schema?.properties?.priority;
  const priorities = (priority && priority.enum) || [];
  const q = queryFromUrl(ctx.query);
  let cursors = [null]; // cursor of each page visited; the last is the current page
  let page = null; // {items, next_cursor} for the table, {board: [{place, items, next_cursor}]} for the board
  let changed = new Set(); // tickets a live event named since the last draw: they flash once
  let loadSeq = 0;

  const heading = pageTitle(queueTitle(q, session.sub));
  const results = h('section', { class: 'results', 'aria-live': 'polite', 'aria-busy': 'true', 'aria-label': 'Tickets' }, loading('Loading the queue…'));
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  const controls = createFilters({ q, places, priorities, onChange: update });
  const counts = createCounts({ places, selected: () => q.place, onChange: update, isDisposed: () => disposed });
  const bulk = new BulkActions({
    me: session.sub,
    onSelectionChange: () => drawSelection(),
    onDone: () => {
      load();
      counts.load();
    },
  });
  const keys = listKeys(results, {
    select: (id) => {
      const t = bulk.ticket(id) || shownTickets().find((s) => s.aggregate_id === id);
      if (t) bulk.toggle(t);
    },
    search: () => controls.focusSearch(),
  });

  function update(patch) {
    Object.assign(q, patch);
    replaceQuery(urlFromQuery(q));
    cursors = [null];
    bulk.clear();
    controls.sync();
    counts.sync();
    const title = queueTitle(q, session.sub);
    const h1 = heading.querySelector('h1');
    if (h1.textContent !== title) {
      h1.textContent = title;
      document.title = `${title} · Help desk`;
    }
    load();
    window.dispatchEvent(new CustomEvent('routechange', { detail: { path: '/queue' } }));
  }

  function shownTickets() {
    if (!page) return [];
    return page.board ? page.board.flatMap((c) => c.items) : page.items;
  }

  async function load() {
    const seq = ++loadSeq;
    results.setAttribute('aria-busy', 'true');
    if (!page) mount(results, loading('Loading the queue…'));
    try {
      if (q.view === 'board') {
        const shown = boardPlaces(q, places);
        const columns = await Promise.all(shown.map((p) => api.listTickets(listParams(q, { place: p, limit: BOARD_SIZE }))));
        if (disposed || seq !== loadSeq) return;
        page = { board: shown.map((p, i) => ({ place: p, ...columns[i] })) };
        mount(pager);
      } else {
        const result = await api.listTickets(listParams(q, { limit: PAGE_SIZE, cursor: cursors[cursors.length - 1] || undefined }));
        if (disposed || seq !== loadSeq) return;
        page = result;
        drawPager();
      }
      bulk.keepOnly(shownTickets());
      keepingFocus(results, draw);
    } catch (err) {
      if (disposed || seq !== loadSeq) return;
      page = null;
      mount(results, errorBox(err, () => load(), 'The queue could not be loaded'));
      mount(pager);
    } finally {
      if (seq === loadSeq) results.setAttribute('aria-busy', 'false');
    }
  }

  function rowClass(t) {
    return [changed.has(t.aggregate_id) && 'flash', unread.isUnread(t) && 'is-unread',
      bulk.isSelected(t.aggregate_id) && 'is-selected', keys.currentId() === t.aggregate_id && 'is-current'];
  }

  function draw() {
    if (page.board) {
      drawBoard(results, { board: page.board, q, bulk, rowClass });
    } else {
      const caption = `${queueTitle(q, session.sub)}, page ${cursors.length}`;
      drawTable(results, { items: page.items, q, caption, bulk, rowClass, onChange: update });
    }
    changed = new Set();
  }

  function drawPager() {
    const pageNo = cursors.length;
    if (pageNo === 1 && !page.next_cursor) {
      mount(pager); // one page only: nothing to page through
      return;
    }
    const go = (move) => () => {
      move();
      bulk.clear();
      load();
    };
    mount(pager,
      h('button', { type: 'button', class: 'btn', disabled: pageNo === 1, onclick: go(() => cursors.pop()) }, '‹ Previous'),
      h('span', { class: 'muted small', 'aria-live': 'polite' }, `Page ${pageNo}`),
      h('button', { type: 'button', class: 'btn', disabled: !page.next_cursor, onclick: go(() => cursors.push(page.next_cursor)) }, 'Next ›'));
  }

  /** Reflect the selection on the rows and the select-all box without redrawing the list. */
  function drawSelection() {
    for (const el of results.querySelectorAll('[data-ticket-id]')) {
      const on = bulk.isSelected(el.dataset.ticketId);
      el.classList.toggle('is-selected', on);
      const box = el.querySelector('input[type=checkbox]');
      if (box) box.checked = on;
    }
    bulk.syncSelectAll();
  }

  const stopLive = live.reloadOnChange(() => {
    load();
    counts.load();
  }, {
    concerns: (ticket) => {
      if (ticket && ticket.aggregate_id) changed.add(ticket.aggregate_id);
      return true;
    },
  });

  mount(root, heading, counts.element, controls.tools, controls.filters, bulk.bar, bulk.results, results, pager);
  load();
  counts.load();

  return () => {
    disposed = true;
    stopLive();
    controls.dispose();
    keys.dispose();
    bulk.dispose();
  };
}
