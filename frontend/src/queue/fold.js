// The queue's filters folded behind a "Filters" button on narrow screens. Pure logic, no DOM.

/** Below this width (CSS pixels) the filters start folded. Matches the phone rules in css/app.css. */
export const NARROW_PX = 640;

/** The filters that the fold hides and that count as "set" on its button (search stays in sight). */
export const FOLDED_FILTERS = ['place', 'priority', 'sla', 'assignee', 'sort'];

/** How many folded filters differ from their defaults. */
export function activeFilterCount(query) {
  return FOLDED_FILTERS.filter((k) => {
    const v = query[k];
    if (k === 'sort') return Boolean(v) && v !== '-created';
    return Boolean(v);
  }).length;
}

/**
 * Whether the filters are folded: the person's own choice wins (true/false, null if none yet); without one they
 * are folded on narrow screens and open on wide ones.
 */
export function isFolded({ width, choice = null }) {
  if (choice === true || choice === false) return choice;
  return width <= NARROW_PX;
}

/** The text of the disclosure button: "Filters" or "Filters (2)". */
export function foldLabel(query) {
  const n = activeFilterCount(query);
  return n ? `Filters (${n})` : 'Filters';
}
