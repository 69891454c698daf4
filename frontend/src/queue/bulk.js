// Bulk actions: one command per ticket, a few at a time, each with its own outcome. Pure logic, no DOM.

import { humanize } from '../format.js';

/** How many commands of one bulk action are in flight at once. */
export const BULK_CONCURRENCY = 3;

/**
 * Run task(item, index) for every item with at most `concurrency` running at once. Every item gets a result
 * {item, ok: true, value} or {item, ok: false, error}: one refusal never stops the others. `onResult(result,
 * index)` is called as each finishes; the promise resolves to the results in the items' order.
 */
export async function runBulk(items, task, { concurrency = BULK_CONCURRENCY, onResult = () => {} } = {}) {
  const limit = Math.max(1, Math.floor(concurrency) || 1);
  const results = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const index = next;
      next += 1;
      const item = items[index];
      let result;
      try {
        result = { item, ok: true, value: await task(item, index) };
      } catch (error) {
        result = { item, ok: false, error };
      }
      results[index] = result;
      try {
        onResult(result, index);
      } catch {
        /* a failing progress callback must not lose the other results */
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * The plain reason a command was refused for one ticket, from the API's error {code, message, status},
 * the ticket as the queue showed it and the data sent (e.g. {assignee}).
 */
export function refusalReason(error, ticket = {}, data = {}) {
  const code = error && error.code;
  const message = (error && error.message) || 'The server refused it.';
  switch (code) {
    case 'transition_not_enabled': {
      const named = /the ticket is in '([a-z_]+)'/.exec(message);
      const place = named ? named[1] : ticket.place;
      return place ? `Not in a state that allows it: it is ${humanize(place).toLowerCase()}.` : 'Not in a state that allows it.';
    }
    case 'version_conflict':
      return 'Someone changed it since the list was loaded; reload and try again.';
    case 'unknown_assignee':
      return data.assignee ? `${data.assignee} is not a known staff member.` : 'That person is not a known staff member.';
    case 'forbidden':
    case 'not_ticket_owner':
      return 'Your role may not do this.';
    case 'ticket_not_found':
      return 'It no longer exists.';
    default:
      return message;
  }
}
