// The reason an administrator gives for skipping a failing event: 3 to 500 characters, recorded with the skip.
// Pure, covered by node --test.

import { formatCount } from '../words.js';

export const REASON_MIN = 3;
export const REASON_MAX = 500;

/** What stops the reason from being sent, in plain words, or null when it may go. Spaces around it do not count. */
export function reasonProblem(text) {
  const reason = String(text || '').trim();
  if (!reason) return 'Say why the event is skipped: the reason is recorded with the skip.';
  if (reason.length < REASON_MIN) return `The reason is too short: at least ${REASON_MIN} characters.`;
  if (reason.length > REASON_MAX) {
    return `The reason is too long: at most ${formatCount(REASON_MAX)} characters (${formatCount(reason.length)} now).`;
  }
  return null;
}

/** The body of POST /api/admin/projections/{name}/skip: the halt's position and the reason as sent. */
export function skipBody(position, text) {
  return { position: Number(position), reason: String(text || '').trim() };
}
