// The count of tickets per place above the queue (from GET /api/stats), each a chip that filters on its place.

import * as api from '../api.js';
import { h, mount } from '../dom.js';
import { humanize } from '../format.js';

/**
 * The chips for `places`; `selected()` is the place filtered on ('' for all), a click hands onChange a patch.
 * Returns {element, load(), sync()}.
 */
export function createCounts({ places, selected, onChange, isDisposed }) {
  const element = h('nav', { class: 'counts', 'aria-label': 'Tickets per place' });

  function draw(byPlace, total) {
    const place = selected();
    mount(element, h('ul', { class: 'count-chips' },
      h('li', null, h('button', { type: 'button', class: 'chip', 'aria-pressed': String(!place), onclick: () => onChange({ place: '' }) },
        'All', h('span', { class: 'chip-count' }, String(total ?? Object.values(byPlace).reduce((a, b) => a + b, 0))))),
      places.map((p) => h('li', null, h('button', {
        type: 'button', class: ['chip', `chip-${p}`], 'aria-pressed': String(place === p), dataset: { place: p },
        onclick: () => onChange({ place: selected() === p ? '' : p }),
      }, humanize(p), h('span', { class: 'chip-count', dataset: { count: p } }, String(byPlace[p] || 0)))))));
  }

  async function load() {
    try {
      const stats = await api.getStats();
      if (isDisposed()) return;
      draw(stats.by_place || {}, stats.total);
    } catch (err) {
      if (isDisposed()) return;
      mount(element, h('p', { class: 'muted small' }, `Counts unavailable: ${err.message}`));
    }
  }

  draw({}, 0);
  /** Show which chip is pressed after the filter changed (in place: the focus stays on the chip clicked). */
  function sync() {
    const place = selected();
    for (const chip of element.querySelectorAll('button.chip')) {
      chip.setAttribute('aria-pressed', String((chip.dataset.place || '') === place));
    }
  }
  return { element, load, sync };
}
