// Erasure of a person's data without the DOM: the user id as typed, the rule that lets the erase go (a reason of
// 3 to 500 characters and the user id typed again, exactly), the export's summary and file name, and the
// refusals in plain language. Pure, covered by node --test.

import { formatCount } from '../words.js';

export const REASON_MIN = 3;
export const REASON_MAX = 500;

/** The user id as it is sent: spaces around it do not count; '' when none. */
export function subjectId(value) {
  return String(value || '').trim();
}

/**
 * What stops the erasure, in plain words, or null when it may go: the reason (3..500 characters, spaces around
 * it not counted) and the user id typed again exactly as the subject (case and all).
 */
export function eraseProblem({ subject, reason, confirmation }) {
  const r = String(reason || '').trim();
  if (!r) return { field: 'reason', message: 'Say why this person\u2019s data is erased: the reason is kept with the record.' };
  if (r.length < REASON_MIN) return { field: 'reason', message: `The reason is too short: at least ${REASON_MIN} characters.` };
  if (r.length > REASON_MAX) return { field: 'reason', message: `The reason is too long: at most ${formatCount(REASON_MAX)} characters (${formatCount(r.length)} now).` };
  if (subjectId(confirmation) !== subject) {
    return { field: 'confirmation', message: `Type the user id “${subject}” exactly to confirm.` };
  }
  return null;
}

/** The body of POST .../erase. */
export function eraseBody(reason) {
  return { reason: String(reason).trim() };
}

/** The export's summary: {tickets, events, erased, text}. */
export function exportSummary(answer) {
  const tickets = (answer && answer.tickets ? answer.tickets.length : 0);
  const events = (answer && answer.events ? answer.events.length : 0);
  const plural = (n, one, many) => `${formatCount(n)} ${n === 1 ? one : many}`;
  const text = `${plural(tickets, 'ticket', 'tickets')} and ${plural(events, 'event', 'events')} held about ${answer.subject}`
    + (answer.erased ? ' (already erased: their texts read “erased”).' : '.');
  return { tickets, events, erased: Boolean(answer && answer.erased), text };
}

/** The export's file name: "personal-data-<id>-<date>.json", the id reduced to safe characters. */
export function exportFileName(subject, at = new Date()) {
  const safe = String(subject).replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'subject';
  return `personal-data-${safe}-${at.toISOString().slice(0, 10)}.json`;
}

/** The erasure's result in words. */
export function eraseResultText(answer) {
  const n = Number(answer.tickets) || 0;
  return `The personal data of ${answer.subject} is erased (${formatCount(n)} ${n === 1 ? 'ticket' : 'tickets'}). `
    + `Recorded as done by ${answer.erased_by}.`;
}

/** A refusal in plain language. */
export function privacyErrorText(err) {
  if (err && err.code === 'forbidden') return 'Only administrators may export or erase personal data.';
  if (err && (err.status === 404 || err.code === 'not_found')) return 'Nothing is held about this user id.';
  if (!err || err.status === 0) return 'Not sent: the server cannot be reached. Try again in a moment.';
  if (err.status === 422) return `Not accepted: ${String(err.message || 'the request is not valid')}`;
  if (err.status >= 500) return 'The server failed to do it. Try again in a moment.';
  return String(err.message || 'It could not be done.');
}
