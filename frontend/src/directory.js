// The staff directory (GET /api/people) in cursor pages, without the DOM: a whole listing that follows
// next_cursor, and the names that start with what is being typed, where only the latest answer counts.

/** People per request: the most GET /api/people gives in one page. */
export const DIRECTORY_PAGE = 200;
/** Pages a whole listing follows at most: a list of a thousand names is as long as anyone reads. */
export const DIRECTORY_PAGES = 5;
/** How long typing pauses before the directory is asked (ms). */
export const LOOKUP_DELAY = 150;

/**
 * Everyone `params` select (role, q), page after page: `getPage(params)` answers {items, next_cursor}. Resolves
 * to {items, complete}; complete is false when pages remained after `maxPages`.
 */
export async function allPeople(getPage, params = {}, { limit = DIRECTORY_PAGE, maxPages = DIRECTORY_PAGES } = {}) {
  const items = [];
  let cursor;
  for (let page = 0; page < maxPages; page += 1) {
    const answer = await getPage({ ...params, limit, cursor });
    items.push(...((answer && answer.items) || []));
    cursor = (answer && answer.next_cursor) || undefined;
    if (!cursor) return { items, complete: true };
  }
  return { items, complete: false };
}

/**
 * The directory looked up as a name is typed: `lookup(text)` asks for the first page of the people whose id starts
 * with the trimmed text (everyone for an empty one) once typing has paused for `delay` ms, and calls
 * `onAnswer({text, items, more})` (more: further pages exist) or `onError(error)`. An answer that arrives after a
 * later lookup started is dropped, so the suggestions are always those of the latest text. `dispose()` stops it.
 */
export function directoryLookup(getPage, { params = {}, limit = DIRECTORY_PAGE, delay = LOOKUP_DELAY, onAnswer, onError = () => {} }) {
  let latest = 0;
  let timer = null;
  let waiting = () => {}; // settles the promise of a lookup still waiting for typing to pause
  function cancel() {
    latest += 1;
    clearTimeout(timer);
    waiting();
    waiting = () => {};
  }
  async function ask(text, ticket) {
    try {
      const answer = await getPage({ ...params, q: text || undefined, limit });
      if (ticket !== latest) return;
      onAnswer({ text, items: (answer && answer.items) || [], more: Boolean(answer && answer.next_cursor) });
    } catch (error) {
      if (ticket === latest) onError(error);
    }
  }
  return {
    /** Resolves once this text's answer is handled, or at once when a later lookup replaces it. */
    lookup(raw, { now = false } = {}) {
      cancel();
      const ticket = latest;
      const text = String(raw || '').trim();
      if (now || delay <= 0) return ask(text, ticket);
      return new Promise((resolve) => {
        waiting = resolve;
        timer = setTimeout(() => {
          waiting = () => {};
          resolve(ask(text, ticket));
        }, delay);
      });
    },
    dispose: cancel,
  };
}

/**
 * Whether `value` is a member of staff, judged from the answer of a lookup of that very text: 'known', 'unknown',
 * or 'unsure' when it is not on the page but more pages of names starting with it exist.
 */
export function nameStatus(value, answer) {
  const name = String(value || '').trim();
  if (answer.items.some((p) => p.id === name)) return 'known';
  return answer.more ? 'unsure' : 'unknown';
}

/**
 * The assignee picker's line about a lookup's answer ({text, items, more}): how many agents the text leads to, or
 * that it names one, or (warn) that no agent's name starts with it.
 */
export function agentsHint(answer) {
  const { text, items, more } = answer;
  const n = items.length;
  const agents = `${more ? 'More than ' : ''}${n} agent${n === 1 ? '' : 's'}`;
  if (!text) {
    return { text: more ? `${agents} in the staff directory: type a name to narrow the list.` : `${agents} in the staff directory.`, warn: false };
  }
  if (nameStatus(text, answer) === 'known') return { text: `“${text}” is in the staff directory.`, warn: false };
  if (!n) return { text: `“${text}” is not in the staff directory.`, warn: true };
  return { text: `${agents} ${n === 1 && !more ? 'starts' : 'start'} with “${text}”: pick one from the list.`, warn: false };
}
