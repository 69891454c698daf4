// Agent console: the queue as a table or a board by place, with filters, sorting, cursor pages and counts.

import * as api from '../api.js';
import * as auth from '../auth.js';
import { h, mount } from '../dom.js';
import { formatDate, humanize, timeAgo } from '../format.js';
import * as live from '../live.js';
import { href, replaceQuery } from '../router.js';
import { empty, errorBox, loading, pageTitle, placeBadge, priorityBadge } from '../ui.js';

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

function titleFor(q, me) {
  if (q.place === 'escalated' && !q.assignee) return 'Escalated tickets';
  if (q.assignee === 'me' || (me && q.assignee === me)) return 'Assigned to me';
  return 'Ticket queue';
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

  const heading = pageTitle(titleFor(q, session.sub));
  const counts = h('nav', { class: 'counts', 'aria-label': 'Tickets per place' });
  const results = h('section', { class: 'results', 'aria-live': 'polite', 'aria-busy': 'true', 'aria-label': 'Tickets' }, loading('Loading the queue…'));
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });

  // ---- controls -------------------------------------------------------------------------------------
  const sel = (id, label, name, options, value) => h('div', { class: 'field field-inline' },
    h('label', { for: id }, label),
    h('select', { id, name, dataset: { filter: name } }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));

  const search = h('input', { id: 'filter-q', type: 'search', name: 'q', value: q.q, placeholder: 'Subject or description', dataset: { filter: 'q' } });
  const assignee = h('input', { id: 'filter-assignee', type: 'text', name: 'assignee', value: q.assignee, placeholder: 'user name or "me"', autocomplete: 'off', dataset: { filter: 'assignee' } });
  const mine = h('button', { type: 'button', class: 'btn btn-toggle', 'aria-pressed': String(q.assignee === 'me'), id: 'filter-mine' }, 'Assigned to me');
  const viewTable = h('button', { type: 'button', class: 'btn btn-toggle', 'aria-pressed': String(q.view === 'table'), dataset: { view: 'table' } }, 'Table');
  const viewBoard = h('button', { type: 'button', class: 'btn btn-toggle', 'aria-pressed': String(q.view === 'board'), dataset: { view: 'board' } }, 'Board');

  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter tickets', onsubmit: (e) => e.preventDefault() },
    h('div', { class: 'field field-inline grow' }, h('label', { for: 'filter-q' }, 'Search'), search),
    sel('filter-place', 'Place', 'place', [['', 'All places'], ...places.map((p) => [p, humanize(p)])], q.place),
    sel('filter-priority', 'Priority', 'priority', [['', 'Any priority'], ...priorities.map((p) => [p, humanize(p)])], q.priority),
    h('div', { class: 'field field-inline' }, h('label', { for: 'filter-assignee' }, 'Assignee'), assignee),
    sel('filter-sort', 'Sort', 'sort', SORTS, q.sort),
    h('div', { class: 'filter-buttons' }, mine,
      h('div', { class: 'segmented', role: 'group', 'aria-label': 'Show as' }, viewTable, viewBoard)));

  function syncControls() {
    filters.querySelector('[data-filter=place]').value = q.place;
    filters.querySelector('[data-filter=priority]').value = q.priority;
    filters.querySelector('[data-filter=sort]').value = q.sort;
    assignee.value = q.assignee;
    search.value = q.q;
    mine.setAttribute('aria-pressed', String(q.assignee === 'me'));
    viewTable.setAttribute('aria-pressed', String(q.view === 'table'));
    viewBoard.setAttribute('aria-pressed', String(q.view === 'board'));
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
        drawBoard();
        mount(pager);
      } else {
        const result = await api.listTickets(params({ limit: PAGE_SIZE, cursor: cursors[cursors.length - 1] || undefined }));
        if (disposed || seq !== loadSeq) return;
        page = result;
        drawTable();
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

  function noMatch() {
    const filtered = q.place || q.assignee || q.priority || q.q;
    const onlyPlace = q.place && !q.assignee && !q.priority && !q.q;
    if (onlyPlace) {
      // The escalated queue and the place chips: say what is empty, not that filters failed.
      return empty(`No ticket is ${humanize(q.place).toLowerCase()} right now.`,
        'Tickets show up here, live, as soon as one reaches this place.',
        h('button', { type: 'button', class: 'btn', onclick: () => update({ place: '' }) }, 'Show all places'));
    }
    return empty(filtered ? 'No ticket matches these filters.' : 'The queue is empty.',
      filtered ? 'Change or clear the filters to see more.' : 'New tickets appear here as soon as customers open them.',
      filtered ? h('button', { type: 'button', class: 'btn', onclick: () => update({ place: '', assignee: '', priority: '', q: '' }) }, 'Clear filters') : null);
  }

  function sortHeader(field) {
    const active = q.sort.replace('-', '') === field;
    const desc = q.sort.startsWith('-');
    const next = active && desc ? field : `-${field}`;
    return h('th', { scope: 'col', 'aria-sort': active ? (desc ? 'descending' : 'ascending') : 'none' },
      h('button', { type: 'button', class: 'th-sort', onclick: () => update({ sort: next }) },
        SORTABLE[field], h('span', { class: 'sort-icon', 'aria-hidden': 'true' }, active ? (desc ? ' ▼' : ' ▲') : ' ↕')));
  }

  function drawTable() {
    if (!page.items.length) {
      mount(results, noMatch());
      return;
    }
    const rows = page.items.map((t) => h('tr', { dataset: { ticketId: t.aggregate_id, place: t.place }, class: changed.has(t.aggregate_id) ? 'flash' : null },
      h('td', { class: 'cell-subject' }, h('a', { href: href(`/ticket/${t.aggregate_id}`) }, t.subject || '(no subject)')),
      h('td', null, placeBadge(t.place)),
      h('td', null, priorityBadge(t.priority)),
      h('td', null, t.requester || '—'),
      h('td', null, t.assignee || h('span', { class: 'muted' }, 'unassigned')),
      h('td', null, h('time', { datetime: t.created_at, title: formatDate(t.created_at) }, timeAgo(t.created_at))),
      h('td', null, h('time', { datetime: t.updated_at, title: formatDate(t.updated_at) }, timeAgo(t.updated_at)))));
    mount(results, h('div', { class: 'table-wrap' }, h('table', { class: 'table queue-table' },
      h('caption', { class: 'sr-only' }, `${titleFor(q, session.sub)}, page ${cursors.length}`),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'Subject'), h('th', { scope: 'col' }, 'Place'), sortHeader('priority'),
        h('th', { scope: 'col' }, 'Requester'), h('th', { scope: 'col' }, 'Assignee'), sortHeader('created'), sortHeader('updated'))),
      h('tbody', null, rows))));
    changed = new Set();
  }

  function drawBoard() {
    const columns = page.board.map((col) => h('section', { class: 'board-col', dataset: { place: col.place }, 'aria-labelledby': `col-${col.place}` },
      h('h2', { id: `col-${col.place}`, class: 'board-col-title' }, placeBadge(col.place),
        h('span', { class: 'muted small' }, `${col.items.length}${col.next_cursor ? '+' : ''}`)),
      col.items.length
        ? h('ul', { class: 'board-cards' }, col.items.map((t) => h('li', { class: ['board-card', changed.has(t.aggregate_id) && 'flash'], dataset: { ticketId: t.aggregate_id } },
          h('a', { href: href(`/ticket/${t.aggregate_id}`) }, t.subject || '(no subject)'),
          h('div', { class: 'board-card-meta' }, priorityBadge(t.priority),
            h('span', { class: 'muted small' }, t.assignee ? `@${t.assignee}` : 'unassigned'),
            h('span', { class: 'muted small' }, timeAgo(t.updated_at))))))
        : h('p', { class: 'muted small board-empty' }, 'Nothing here'),
      col.next_cursor ? h('a', { class: 'small', href: href('/queue', { ...q, view: '', place: col.place }) }, 'See all') : null));
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
      h('button', { type: 'button', class: 'btn', disabled: pageNo === 1, onclick: () => { cursors.pop(); load(); } }, '‹ Previous'),
      h('span', { class: 'muted small', 'aria-live': 'polite' }, `Page ${pageNo}`),
      h('button', { type: 'button', class: 'btn', disabled: !page.next_cursor, onclick: () => { cursors.push(page.next_cursor); load(); } }, 'Next ›'));
  }

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

  mount(root, heading, counts, filters, results, pager);
  drawCounts({}, 0);
  load();
  loadCounts();

  return () => {
    disposed = true;
    clearTimeout(liveTimer);
    clearTimeout(typing);
    unsubscribe();
  };
}

