// The queue's controls: the search box (searching as you type, after a short pause), the filters (place,
// priority, deadline status, assignee, sort, "Assigned to me", table or board) and, on phones, the button that folds them.
// Every change is handed to onChange(patch); sync() shows the state after it.

import { coalesce } from '../coalesce.js';
import { h } from '../dom.js';
import { humanize } from '../format.js';
import { SLA_FILTERS } from '../sla/clock.js';
import { foldLabel, isFolded } from './fold.js';
import { SORTS } from './query.js';

const FOLD_KEY = 'helpdesk.filtersOpen';
const TYPING_PAUSE_MS = 300;

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

const select = (id, label, name, options, value) => h('div', { class: 'field field-inline' },
  h('label', { for: id }, label),
  h('select', { id, name, dataset: { filter: name } }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));

/** The controls for the state `q` (read, never written here). Returns {tools, filters, sync, focusSearch, dispose}. */
export function createFilters({ q, places, priorities, onChange }) {
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
    select('filter-place', 'Place', 'place', [['', 'All places'], ...places.map((p) => [p, humanize(p)])], q.place),
    select('filter-priority', 'Priority', 'priority', [['', 'Any priority'], ...priorities.map((p) => [p, humanize(p)])], q.priority),
    select('filter-sla', 'Deadline', 'sla', SLA_FILTERS, q.sla),
    h('div', { class: 'field field-inline' }, h('label', { for: 'filter-assignee' }, 'Assignee'), assignee),
    select('filter-sort', 'Sort', 'sort', SORTS, q.sort),
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
  function onResize() {
    const next = isFolded({ width: window.innerWidth, choice: foldChoice() });
    if (next !== folded) {
      folded = next;
      drawFold();
    }
  }
  window.addEventListener('resize', onResize);
  drawFold();

  const typed = coalesce(() => onChange({ q: search.value.trim() }), TYPING_PAUSE_MS);
  const tools = h('form', { class: 'queue-tools', role: 'search', 'aria-label': 'Search tickets', onsubmit: (e) => {
    e.preventDefault();
    typed.now();
  } },
  h('div', { class: 'search-field' }, h('label', { for: 'filter-q' }, 'Search'), search, searchHint),
  foldButton);

  search.addEventListener('input', typed);
  assignee.addEventListener('change', () => onChange({ assignee: assignee.value.trim() }));
  filters.addEventListener('change', (e) => {
    const name = e.target.dataset.filter;
    if (name === 'place' || name === 'priority' || name === 'sla' || name === 'sort') onChange({ [name]: e.target.value });
  });
  mine.addEventListener('click', () => onChange({ assignee: q.assignee === 'me' ? '' : 'me' }));
  viewTable.addEventListener('click', () => onChange({ view: 'table' }));
  viewBoard.addEventListener('click', () => onChange({ view: 'board' }));

  function sync() {
    filters.querySelector('[data-filter=place]').value = q.place;
    filters.querySelector('[data-filter=priority]').value = q.priority;
    filters.querySelector('[data-filter=sla]').value = q.sla;
    filters.querySelector('[data-filter=sort]').value = q.sort;
    assignee.value = q.assignee;
    if (document.activeElement !== search) search.value = q.q;
    mine.setAttribute('aria-pressed', String(q.assignee === 'me'));
    viewTable.setAttribute('aria-pressed', String(q.view === 'table'));
    viewBoard.setAttribute('aria-pressed', String(q.view === 'board'));
    drawFold();
  }

  return {
    tools,
    filters,
    sync,
    focusSearch() {
      search.focus();
      search.select();
    },
    dispose() {
      typed.cancel();
      window.removeEventListener('resize', onResize);
    },
  };
}
