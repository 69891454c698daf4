// The queue's state as the URL carries it (`#/queue?place=&assignee=&priority=&sla=&q=&sort=&view=`), and what follows
// from it: the list request, the page title, the sort headers, which empty state to show. Pure logic, no DOM.

export const DEFAULT_SORT = '-created';
export const SORTS = [
  ['-created', 'Newest first'],
  ['created', 'Oldest first'],
  ['-updated', 'Recently updated'],
  ['updated', 'Least recently updated'],
  ['-priority', 'Priority, highest first'],
  ['priority', 'Priority, lowest first'],
  ['sla_due', 'Deadline, nearest first'],
  ['-sla_due', 'Deadline, latest first'],
];
/** The columns a table header sorts by, with their titles. */
export const SORTABLE = { created: 'Created', updated: 'Updated', priority: 'Priority', sla_due: 'Deadline' };
/** Columns whose first click sorts ascending (the nearest deadline first). */
const ASCENDING_FIRST = new Set(['sla_due']);
export const PAGE_SIZE = 25;
/** Tickets per column of the board. */
export const BOARD_SIZE = 20;
/** The patch that clears every filter (the sort and the view stay). */
export const NO_FILTERS = { place: '', assignee: '', priority: '', sla: '', q: '' };

/** The queue's state from the route's query string; missing values take their defaults. */
export function queryFromUrl(query = {}) {
  return {
    place: query.place || '',
    assignee: query.assignee || '',
    priority: query.priority || '',
    sla: ['ok', 'warning', 'breached', 'met'].includes(query.sla) ? query.sla : '',
    q: query.q || '',
    sort: query.sort || DEFAULT_SORT,
    view: query.view === 'board' ? 'board' : 'table',
  };
}

/** The query string for the state: defaults are left out, so the plain queue stays `#/queue`. */
export function urlFromQuery(q) {
  return { ...q, sort: q.sort === DEFAULT_SORT ? '' : q.sort, view: q.view === 'table' ? '' : q.view };
}

/** The parameters of GET /api/tickets for the state (the view is the UI's own), plus `extra` (limit, cursor, ...). */
export function listParams(q, extra = {}) {
  return { place: q.place, assignee: q.assignee, priority: q.priority, sla: q.sla, q: q.q, sort: q.sort, ...extra };
}

/** The places the board shows: the one filtered on, or all of them. */
export function boardPlaces(q, places) {
  return q.place ? [q.place] : places;
}

/** The page's title: the escalated queue and "Assigned to me" are named as the navigation names them. */
export function queueTitle(q, me) {
  if (q.place === 'escalated' && !q.assignee) return 'Escalated tickets';
  if (q.assignee === 'me' || (me && q.assignee === me)) return 'Assigned to me';
  return 'Ticket queue';
}

/**
 * A sortable column's header for the current sort: whether it is the one sorted by, in which direction, and the
 * sort a click asks for (descending first, then ascending).
 */
export function sortColumn(sort, field) {
  const active = sort.replace(/^-/, '') === field;
  const desc = sort.startsWith('-');
  return {
    active,
    desc,
    ariaSort: active ? (desc ? 'descending' : 'ascending') : 'none',
    next: ASCENDING_FIRST.has(field) ? (active && !desc ? `-${field}` : field) : (active && desc ? field : `-${field}`),
  };
}

/**
 * Which empty state an empty list gets: 'place' (only a place is chosen: say that nothing is there now),
 * 'search' (only a search), 'filtered' (any other mix of filters) or 'empty' (no filter: the queue is empty).
 */
export function emptyKind(q) {
  const others = (...keys) => keys.some((k) => q[k]);
  if (q.place && !others('assignee', 'priority', 'sla', 'q')) return 'place';
  if (q.q && !others('place', 'assignee', 'priority', 'sla')) return 'search';
  return others('place', 'assignee', 'priority', 'sla', 'q') ? 'filtered' : 'empty';
}

/** The index the keyboard moves to from `current` (-1: none yet, which starts at the first) by `delta`. */
export function stepIndex(current, delta, length) {
  if (!length) return -1;
  if (current < 0) return 0;
  return Math.max(0, Math.min(length - 1, current + delta));
}
