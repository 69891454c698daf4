// Agent console: the queue as a table or a board by place, with search, filters (folded on phones), sorting,
// cursor pages, counts per place, unread markers, keyboard selection (j/k/o/x) and bulk assign / close.

import * as api from '../api.js';
import * as auth from '../auth.js';
import { h, mount } from '../dom.js';
import { formatDate, humanize, shortId, timeAgo } from '../format.js';
import * as live from '../live.js';
import { BulkActions } from '../queue/bulk-ui.js';
import { foldLabel, isFolded } from '../queue/fold.js';
import { href, navigate, replaceQuery } from '../router.js';
import * as shortcuts from '../shortcuts.js';
import { empty, errorBox, loading, pageTitle, placeBadge, priorityBadge } from '../ui.js';
import * as unread from '../unread.js';

const SORTS = [
  ['-created', 'Newest first'],
  ['created', 'Oldest first'],
  ['-updated', 'Recently updated'],
  ['updated', 'Least recently updated'],
  ['-priority', 'Priority, highest first'],
  ['priority', 'Priority, lowest first'],
];
const SORTABLE = { created: 'Created', updated: 'Updated', priority: 'Priority' };
const PAGE_SIZE = 25;
const BOARD_SIZE = 20;
const FOLD_KEY = 'helpdesk.filtersOpen';

function titleFor(q, me) {
  if (q.place === 'escalated' && !q.assignee) return 'Escalated tickets';
  if (q.assignee === 'me' || (me && q.assignee === me)) return 'Assigned to me';
  return 'Ticket queue';
}

/** The person's last fold choice in this tab: true (folded), false (open) or null (none yet). */
function foldChoice() {
  try {
    const v = sessionStorage.getItem(FOLD_KEY);
    return v === null ? null : v === 'folded';
  } catch {
    return null;
  }
}

function saveFoldChoice(folded) {
  try {
    sessionStorage.setItem(FOLD_KEY, folded ? 'folded' : 'open');
  } catch {
    /* the choice then lasts for this page only */
  }
}

/** The subject link of a ticket: its number, subject and, when changed since last seen, an "Unread" marker. */
function ticketLink(t) {
  const isUnread = unread.isUnread(t);
  return h('a', { href: href(`/ticket/${t.aggregate_id}`), class: 'card-link' },
    h('span', { class: 'ticket-no' }, `#${shortId(t.aggregate_id)}`),
    t.subject || '(no subject)',
    isUnread ? h('span', { class: 'unread-mark', dataset: { unread: '' } }, 'Unread') : null);
}

export function renderQueue(root, ctx, schema) {
  let disposed = false;
  const session = auth.current();
  const places = schema.places.map((p) => p.name);
  const priorities = (schema.create_schema && schema.create_schema.properties && schema.create_schema.properties.priority && schema.create_schema.properties.priority.enum) || [];
  const q = {
    place: ctx.query.place || '',
    assignee: ctx.query.assignee || '',
    priority: ctx.query.priority || '',
    q: ctx.query.q || '',
    sort: ctx.query.sort || '-created',
    view: ctx.query.view === 'board' ? 'board' : 'table',
  };
  let cursors = [null]; // cursor of each page visited; the last is the current page
  let page = null;
  let changed = new Set();
  let loadSeq = 0;
  let currentId = null; // the ticket j/k moved to

  const heading = pageTitle(titleFor(q, session.sub));
  const counts = h('nav', { class: 'counts', 'aria-label': 'Tickets per place' });
  const results = h('section', { class: 'results', 'aria-live': 'polite', 'aria-busy': 'true', 'aria-label': 'Tickets' }, loading('Loading the queue…'));
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });

  // ---- controls -------------------------------------------------------------------------------------
  const sel = (id, label, name, options, value) => h('div', { class: 'field field-inline' },
    h('label', { for: id }, label),
    h('select', { id, name, dataset: { filter: name } }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));

  const search = h('input', {
    id: 'filter-q', type: 'search', name: 'q', value: q.q, dataset: { filter: 'q' }, autocomplete: 'off',
    placeholder: 'Number, requester, assignee or text', 'aria-keyshortcuts': '/',
    'aria-describedby': 'filter-q-hint',
  });
  const searchHint = h('span', { id: 'filter-q-hint', class: 'sr-only' },
    'Finds a ticket by its number (#1a2b3c4d), requester, assignee, or any word of its subject, description or conversation.');
  const assignee = h('input', { id: 'filter-assignee', type: 'text', name: 'assignee', value: q.assignee, placeholder: 'user name or "me"', autocomplete: 'off', dataset: { filter: 'assignee' } });
  const mine = h('button', { type: 'button', class: 'btn btn-toggle', 'aria-pressed': String(q.assignee === 'me'), id: 'filter-mine' }, 'Assigned to me');
  const viewTable = h('button', { type: 'button', class: 'btn btn-toggle', 'aria-pressed': String(q.view === 'table'), dataset: { view: 'table' } }, 'Table');
  const viewBoard = h('button', { type: 'button', class: 'btn btn-toggle', 'aria-pressed': String(q.view === 'board'), dataset: { view: 'board' } }, 'Board');

  const filters = h('form', { id: 'queue-filters', class: 'filters', 'aria-label': 'Filter tickets', onsubmit: (e) => e.preventDefault() },
    sel('filter-place', 'Place', 'place', [['', 'All places'], ...places.map((p) => [p, humanize(p)])], q.place),
    sel('filter-priority', 'Priority', 'priority', [['', 'Any priority'], ...priorities.map((p) => [p, humanize(p)])], q.priority),
    h('div', { class: 'field field-inline' }, h('label', { for: 'filter-assignee' }, 'Assignee'), assignee),
    sel('filter-sort', 'Sort', 'sort', SORTS, q.sort),
    h('div', { class: 'filter-buttons' }, mine,
      h('div', { class: 'segmented', role: 'group', 'aria-label': 'Show as' }, viewTable, viewBoard)));

  // On a phone the filters fold behind this button; on wider screens the button is hidden and they show.
  const foldButton = h('button', {
    type: 'button', class: 'btn filters-toggle', id: 'filters-toggle', 'aria-controls': 'queue-filters',
  }, h('span', { class: 'fold-label' }, foldLabel(q)), h('span', { class: 'chev', 'aria-hidden': 'true' }, '▾'));
  let folded = isFolded({ width: window.innerWidth, choice: foldChoice() });
  function drawFold() {
    foldButton.setAttribute('aria-expanded', String(!folded));
    foldButton.querySelector('.fold-label').textContent = foldLabel(q);
    filters.classList.toggle('is-folded', folded);
  }
  foldButton.addEventListener('click', () => {
    folded = !folded;
    saveFoldChoice(folded);
    drawFold();
    if (!folded) filters.querySelector('select, input')?.focus();
  });
  drawFold();

  const tools = h('form', { class: 'queue-tools', role: 'search', 'aria-label': 'Search tickets', onsubmit: (e) => {
    e.preventDefault();
    clearTimeout(typing);
    update({ q: search.value.trim() });
  } },
  h('div', { class: 'search-field' }, h('label', { for: 'filter-q' }, 'Search'), search, searchHint),
  foldButton);

  function syncControls() {
    filters.querySelector('[data-filter=place]').value = q.place;
    filters.querySelector('[data-filter=priority]').value = q.priority;
    filters.querySelector('[data-filter=sort]').value = q.sort;
    assignee.value = q.assignee;
    if (document.activeElement !== search) search.value = q.q;
    mine.setAttribute('aria-pressed', String(q.assignee === 'me'));
    viewTable.setAttribute('aria-pressed', String(q.view === 'table'));
    viewBoard.setAttribute('aria-pressed', String(q.view === 'board'));
    drawFold();
    const title = titleFor(q, session.sub);
    const h1 = heading.querySelector('h1');
    if (h1.textContent !== title) {
      h1.textContent = title;
      document.title = `${title} · Help desk`;
    }
  }

  function update(patch) {
    Object.assign(q, patch);
    replaceQuery({ ...q, sort: q.sort === '-created' ? '' : q.sort, view: q.view === 'table' ? '' : q.view });
    cursors = [null];
    bulk.clear();
    syncControls();
    load();
    window.dispatchEvent(new CustomEvent('routechange', { detail: { path: '/queue' } }));
  }

  let typing = null;
  search.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => update({ q: search.value.trim() }), 300);
  });
  assignee.addEventListener('change', () => update({ assignee: assignee.value.trim() }));
  filters.addEventListener('change', (e) => {
    const name = e.target.dataset.filter;
    if (name === 'place' || name === 'priority' || name === 'sort') update({ [name]: e.target.value });
  });
  mine.addEventListener('click', () => update({ assignee: q.assignee === 'me' ? '' : 'me' }));
  viewTable.addEventListener('click', () => update({ view: 'table' }));
  viewBoard.addEventListener('click', () => update({ view: 'board' }));

  // ---- bulk actions ---------------------------------------------------------------------------------
  const bulk = new BulkActions({
    me: session.sub,
    onSelectionChange: () => drawSelection(),
    onDone: () => {
      load();
      loadCounts();
    },
  });

  // ---- data -----------------------------------------------------------------------------------------
  const params = (extra) => ({
    place: q.place, assignee: q.assignee, priority: q.priority, q: q.q, sort: q.sort, ...extra,
  });

  async function loadCounts() {
    try {
      const stats = await api.getStats();
      if (disposed) return;
      drawCounts(stats.by_place || {}, stats.total);
    } catch (err) {
      if (disposed) return;
      mount(counts, h('p', { class: 'muted small' }, `Counts unavailable: ${err.message}`));
    }
  }

  function drawCounts(byPlace, total) {
    mount(counts, h('ul', { class: 'count-chips' },
      h('li', null, h('button', { type: 'button', class: 'chip', 'aria-pressed': String(!q.place), onclick: () => update({ place: '' }) },
        'All', h('span', { class: 'chip-count' }, String(total ?? Object.values(byPlace).reduce((a, b) => a + b, 0))))),
      places.map((p) => h('li', null, h('button', {
        type: 'button', class: ['chip', `chip-${p}`], 'aria-pressed': String(q.place === p), dataset: { place: p },
        onclick: () => update({ place: q.place === p ? '' : p }),
      }, humanize(p), h('span', { class: 'chip-count', dataset: { count: p } }, String(byPlace[p] || 0)))))));
  }

  async function load() {
    const seq = ++loadSeq;
    results.setAttribute('aria-busy', 'true');
    if (!page) mount(results, loading('Loading the queue…'));
    try {
      if (q.view === 'board') {
        const shown = q.place ? [q.place] : places;
        const columns = await Promise.all(shown.map((p) => api.listTickets(params({ place: p, limit: BOARD_SIZE }))));
        if (disposed || seq !== loadSeq) return;
        page = { board: shown.map((p, i) => ({ place: p, ...columns[i] })) };
        bulk.keepOnly(page.board.flatMap((c) => c.items));
        keepingFocus(drawBoard);
        mount(pager);
      } else {
        const result = await api.listTickets(params({ limit: PAGE_SIZE, cursor: cursors[cursors.length - 1] || undefined }));
        if (disposed || seq !== loadSeq) return;
        page = result;
        bulk.keepOnly(page.items);
        keepingFocus(drawTable);
        drawPager();
      }
    } catch (err) {
      if (disposed || seq !== loadSeq) return;
      page = null;
      mount(results, errorBox(err, () => load(), 'The queue could not be loaded'));
      mount(pager);
    } finally {
      if (seq === loadSeq) results.setAttribute('aria-busy', 'false');
    }
  }

  /** Redraw without losing the keyboard's place: focus goes back to the same ticket's link or checkbox. */
  function keepingFocus(draw) {
    const focused = document.activeElement;
    const row = focused && results.contains(focused) ? focused.closest('[data-ticket-id]') : null;
    const what = row ? (focused.matches('input[type=checkbox]') ? 'input[type=checkbox]' : 'a.card-link') : null;
    draw();
    if (!row) return;
    const again = [...results.querySelectorAll('[data-ticket-id]')].find((el) => el.dataset.ticketId === row.dataset.ticketId);
    const target = again && again.querySelector(what);
    if (target) target.focus({ preventScroll: true });
  }

  function noMatch() {
    const filtered = q.place || q.assignee || q.priority || q.q;
    const onlyPlace = q.place && !q.assignee && !q.priority && !q.q;
    if (onlyPlace) {
      // The escalated queue and the place chips: say what is empty, not that filters failed.
      return empty(`No ticket is ${humanize(q.place).toLowerCase()} right now.`,
        'Tickets show up here, live, as soon as one reaches this place.',
        h('button', { type: 'button', class: 'btn', onclick: () => update({ place: '' }) }, 'Show all places'));
    }
    if (q.q && !q.place && !q.assignee && !q.priority) {
      return empty(`No ticket matches “${q.q}”.`,
        'Search looks at ticket numbers, requesters, assignees, subjects, descriptions and the conversation.',
        h('button', { type: 'button', class: 'btn', onclick: () => update({ q: '' }) }, 'Clear the search'));
    }
    return empty(filtered ? 'No ticket matches these filters.' : 'The queue is empty.',
      filtered ? 'Change or clear the filters to see more.' : 'New tickets appear here as soon as customers open them.',
      filtered ? h('button', { type: 'button', class: 'btn', onclick: () => update({ place: '', assignee: '', priority: '', q: '' }) }, 'Clear filters') : null);
  }

  function sortHeader(field) {
    const active = q.sort.replace('-', '') === field;
    const desc = q.sort.startsWith('-');
    const next = active && desc ? field : `-${field}`;
    return h('th', { scope: 'col', class: `col-${field}`, 'aria-sort': active ? (desc ? 'descending' : 'ascending') : 'none' },
      h('button', { type: 'button', class: 'th-sort', onclick: () => update({ sort: next }) },
        SORTABLE[field], h('span', { class: 'sort-icon', 'aria-hidden': 'true' }, active ? (desc ? ' ▼' : ' ▲') : ' ↕')));
  }

  function rowClasses(t) {
    return [changed.has(t.aggregate_id) && 'flash', unread.isUnread(t) && 'is-unread',
      bulk.isSelected(t.aggregate_id) && 'is-selected', currentId === t.aggregate_id && 'is-current'];
  }

  function drawTable() {
    if (!page.items.length) {
      mount(results, noMatch());
      return;
    }
    const rows = page.items.map((t) => h('tr', { dataset: { ticketId: t.aggregate_id, place: t.place }, class: rowClasses(t) },
      h('td', { class: 'cell-check' }, bulk.checkbox(t)),
      h('td', { class: 'cell-subject' }, ticketLink(t),
        // On a phone the place and assignee columns fold into this line under the subject.
        h('div', { class: 'row-meta' }, placeBadge(t.place), ' ',
          h('span', { class: 'muted small' }, t.assignee ? `@${t.assignee}` : 'unassigned'))),
      h('td', { class: 'col-place' }, placeBadge(t.place)),
      h('td', { class: 'col-priority' }, priorityBadge(t.priority)),
      h('td', { class: 'col-requester' }, t.requester || '—'),
      h('td', { class: 'col-assignee' }, t.assignee || h('span', { class: 'muted' }, 'unassigned')),
      h('td', { class: 'col-created' }, h('time', { datetime: t.created_at, title: formatDate(t.created_at) }, timeAgo(t.created_at))),
      h('td', { class: 'col-updated' }, h('time', { datetime: t.updated_at, title: formatDate(t.updated_at) }, timeAgo(t.updated_at)))));
    mount(results, h('div', { class: 'table-wrap' }, h('table', { class: 'table queue-table' },
      h('caption', { class: 'sr-only' }, `${titleFor(q, session.sub)}, page ${cursors.length}`),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col', class: 'cell-check' }, bulk.selectAllBox(page.items)),
        h('th', { scope: 'col' }, 'Subject'), h('th', { scope: 'col', class: 'col-place' }, 'Place'), sortHeader('priority'),
        h('th', { scope: 'col', class: 'col-requester' }, 'Requester'), h('th', { scope: 'col', class: 'col-assignee' }, 'Assignee'),
        sortHeader('created'), sortHeader('updated'))),
      h('tbody', null, rows))));
    changed = new Set();
  }

  function drawBoard() {
    const columns = page.board.map((col) => h('section', { class: 'board-col', dataset: { place: col.place }, 'aria-labelledby': `col-${col.place}` },
      h('h2', { id: `col-${col.place}`, class: 'board-col-title' }, placeBadge(col.place),
        h('span', { class: 'muted small' }, `${col.items.length}${col.next_cursor ? '+' : ''}`)),
      col.items.length
        ? h('ul', { class: 'board-cards' }, col.items.map((t) => h('li', { class: ['board-card', ...rowClasses(t)], dataset: { ticketId: t.aggregate_id } },
          ticketLink(t),
          h('div', { class: 'board-card-meta' }, bulk.checkbox(t), priorityBadge(t.priority),
            h('span', { class: 'muted small' }, t.assignee ? `@${t.assignee}` : 'unassigned'),
            h('span', { class: 'muted small' }, timeAgo(t.updated_at))))))
        : h('p', { class: 'muted small board-empty' }, 'Nothing here'),
      col.next_cursor ? h('a', { class: 'small', href: href('/queue', { ...q, view: '', place: col.place }) }, `See all ${humanize(col.place).toLowerCase()}`) : null));
    mount(results, h('div', { class: 'board' }, columns));
    changed = new Set();
  }

  function drawPager() {
    const pageNo = cursors.length;
    if (pageNo === 1 && !page.next_cursor) {
      mount(pager); // one page only: nothing to page through
      return;
    }
    mount(pager,
      h('button', { type: 'button', class: 'btn', disabled: pageNo === 1, onclick: () => { cursors.pop(); bulk.clear(); load(); } }, '‹ Previous'),
      h('span', { class: 'muted small', 'aria-live': 'polite' }, `Page ${pageNo}`),
      h('button', { type: 'button', class: 'btn', disabled: !page.next_cursor, onclick: () => { cursors.push(page.next_cursor); bulk.clear(); load(); } }, 'Next ›'));
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

  // ---- keyboard: j/k move, o/Enter open, x select, / search --------------------------------------------
  function items() {
    return [...results.querySelectorAll('[data-ticket-id]')];
  }

  function currentIndex(list) {
    const focused = list.findIndex((el) => el.contains(document.activeElement));
    if (focused >= 0) return focused;
    return list.findIndex((el) => el.dataset.ticketId === currentId);
  }

  function moveTo(list, index) {
    if (!list.length) return;
    const i = Math.max(0, Math.min(list.length - 1, index));
    for (const el of list) el.classList.remove('is-current');
    const el = list[i];
    currentId = el.dataset.ticketId;
    el.classList.add('is-current');
    const link = el.querySelector('a.card-link');
    if (link) link.focus();
  }

  const withdraw = shortcuts.offer({
    next: () => {
      const list = items();
      const i = currentIndex(list);
      moveTo(list, i < 0 ? 0 : i + 1);
    },
    prev: () => {
      const list = items();
      const i = currentIndex(list);
      moveTo(list, i < 0 ? 0 : i - 1);
    },
    open: () => {
      const list = items();
      const i = currentIndex(list);
      if (i >= 0) navigate(`/ticket/${list[i].dataset.ticketId}`);
    },
    select: () => {
      const list = items();
      const i = currentIndex(list);
      if (i < 0) return;
      const t = bulk.ticket(list[i].dataset.ticketId) || findTicket(list[i].dataset.ticketId);
      if (t) bulk.toggle(t);
    },
    search: () => {
      search.focus();
      search.select();
    },
  });

  function findTicket(id) {
    const all = page ? (page.board ? page.board.flatMap((c) => c.items) : page.items) : [];
    return all.find((t) => t.aggregate_id === id) || null;
  }

  results.addEventListener('focusin', (e) => {
    const row = e.target.closest('[data-ticket-id]');
    if (!row || row.dataset.ticketId === currentId) return;
    for (const el of items()) el.classList.toggle('is-current', el === row);
    currentId = row.dataset.ticketId;
  });

  // ---- live -----------------------------------------------------------------------------------------
  let liveTimer = null;
  const unsubscribe = live.subscribe((ticket) => {
    if (ticket && ticket.aggregate_id) changed.add(ticket.aggregate_id);
    clearTimeout(liveTimer);
    // Events of one poll of the stream arrive together: a short pause coalesces them into one reload.
    liveTimer = setTimeout(() => {
      load();
      loadCounts();
    }, 25);
  });

  function onResize() {
    const next = isFolded({ width: window.innerWidth, choice: foldChoice() });
    if (next !== folded) {
      folded = next;
      drawFold();
    }
  }
  window.addEventListener('resize', onResize);

  mount(root, heading, counts, tools, filters, bulk.bar, bulk.results, results, pager);
  drawCounts({}, 0);
  load();
  loadCounts();

  return () => {
    disposed = true;
    clearTimeout(liveTimer);
    clearTimeout(typing);
    window.removeEventListener('resize', onResize);
    withdraw();
    bulk.dispose();
    unsubscribe();
  };
}
