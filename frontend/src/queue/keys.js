// The queue's keyboard: j/k move to the next/previous ticket, o or Enter open it, x selects it, / searches.
// The ticket moved to is "current" (highlighted, its link focused); focusing a row by other means moves it too.

import { navigate } from '../router.js';
import * as shortcuts from '../shortcuts.js';
import { stepIndex } from './query.js';

/**
 * Offer the list shortcuts for the rows (`[data-ticket-id]`) inside `results`. `select(id)` toggles a ticket's
 * selection, `search()` focuses the search box. Returns {currentId(), dispose()}.
 */
export function listKeys(results, { select, search }) {
  let currentId = null;
  const rows = () => [...results.querySelectorAll('[data-ticket-id]')];

  function currentIndex(list) {
    const focused = list.findIndex((el) => el.contains(document.activeElement));
    if (focused >= 0) return focused;
    return list.findIndex((el) => el.dataset.ticketId === currentId);
  }

  function move(delta) {
    const list = rows();
    const i = stepIndex(currentIndex(list), delta, list.length);
    if (i < 0) return;
    for (const el of list) el.classList.remove('is-current');
    const el = list[i];
    currentId = el.dataset.ticketId;
    el.classList.add('is-current');
    const link = el.querySelector('a.card-link');
    if (link) link.focus();
  }

  /** The id of the current ticket, or null when there is none. */
  function current() {
    const list = rows();
    const i = currentIndex(list);
    return i >= 0 ? list[i].dataset.ticketId : null;
  }

  const withdraw = shortcuts.offer({
    next: () => move(1),
    prev: () => move(-1),
    open: () => {
      const id = current();
      if (id) navigate(`/ticket/${id}`);
    },
    select: () => {
      const id = current();
      if (id) select(id);
    },
    search,
  });

  function onFocus(e) {
    const row = e.target.closest('[data-ticket-id]');
    if (!row || row.dataset.ticketId === currentId) return;
    for (const el of rows()) el.classList.toggle('is-current', el === row);
    currentId = row.dataset.ticketId;
  }
  results.addEventListener('focusin', onFocus);

  return {
    currentId: () => currentId,
    dispose() {
      withdraw();
      results.removeEventListener('focusin', onFocus);
    },
  };
}
