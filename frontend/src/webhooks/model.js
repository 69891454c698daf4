// Webhooks without the DOM: the event types an endpoint may ask for (from the workflow's schema, the
// conversation and the service-level alerts), the register/edit form's checks and body, the words for an
// endpoint's state and a delivery's status, and the refusals in plain language. Pure, covered by node --test.

import { formatCount } from '../words.js';

export const ALL = '*';
export const ALERT_TYPES = ['ServiceLevelWarning', 'ServiceLevelBreached'];
const CONVERSATION = ['ReplyAdded', 'InternalNoteAdded'];
export const DESCRIPTION_MAX = 500;
export const URL_MAX = 2000;

/** Every event type an endpoint can ask for, in the order the workflow lists them, then the alerts. */
export function eventTypes(schema) {
  const types = [];
  if (schema && schema.creation_event) types.push(schema.creation_event);
  for (const t of (schema && schema.transitions) || []) if (t.event_type) types.push(t.event_type);
  return [...new Set([...(types.length ? types : ['Created']), ...CONVERSATION, ...ALERT_TYPES])];
}

/** A type's words: "Created", "Service level breached", "Internal note added (staff-only text)". */
export function typeLabel(type) {
  if (type === ALL) return 'All events';
  const words = {
    ServiceLevelWarning: 'Service level: warning', ServiceLevelBreached: 'Service level: breached',
    InternalNoteAdded: 'Internal note added (staff-only text)', ReplyAdded: 'Reply added',
  };
  return words[type] || type;
}

/** What stops a register or edit form, as [{field, message}] (empty: it may go). */
export function webhookProblems({ url, event_types: types, description }) {
  const problems = [];
  const u = String(url || '').trim();
  if (!u) problems.push({ field: 'url', message: 'Give the address the events are sent to.' });
  else if (u.length > URL_MAX) problems.push({ field: 'url', message: `The address is too long: at most ${formatCount(URL_MAX)} characters.` });
  else {
    let parsed = null;
    try {
      parsed = new URL(u);
    } catch {
      parsed = null;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || !parsed.hostname) {
      problems.push({ field: 'url', message: 'The address must be a full web address starting with https:// (or http://).' });
    } else if (parsed.username || parsed.password) {
      problems.push({ field: 'url', message: 'Leave the user name and password out of the address: requests are signed instead.' });
    }
  }
  if (!types || !types.length) problems.push({ field: 'event_types', message: 'Pick at least one event type, or “All events”.' });
  if (String(description || '').trim().length > DESCRIPTION_MAX) {
    problems.push({ field: 'description', message: `The description is too long: at most ${DESCRIPTION_MAX} characters.` });
  }
  return problems;
}

/** The body of POST /api/webhooks/endpoints (or a PATCH): "All events" stands alone as ["*"]. */
export function webhookBody({ url, event_types: types, description }) {
  const chosen = types.includes(ALL) ? [ALL] : [...new Set(types)];
  const body = { url: String(url).trim(), event_types: chosen };
  const d = String(description || '').trim();
  body.description = d;
  return body;
}

/** An endpoint's state: {label, symbol, tone, why}. */
export function endpointState(endpoint) {
  if (endpoint.enabled) return { label: 'Enabled', symbol: '✓', tone: 'ok', why: '' };
  const why = endpoint.disabled_reason || '';
  return { label: 'Disabled', symbol: '■', tone: why ? 'danger' : 'info', why };
}

/** A delivery's status: {label, symbol, tone}. */
export function deliveryStatus(status) {
  return {
    delivered: { label: 'Delivered', symbol: '✓', tone: 'ok' },
    retrying: { label: 'Retrying', symbol: '↻', tone: 'warn' },
    failed: { label: 'Failed', symbol: '✕', tone: 'danger' },
    pending: { label: 'Pending', symbol: '…', tone: 'info' },
  }[status] || { label: String(status || 'Unknown'), symbol: '?', tone: 'info' };
}

/** "3 ms", "1.2 s"; "—" when unknown. */
export function formatLatency(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(Number(ms))) return '—';
  const n = Number(ms);
  return n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(1)} s`;
}

/** The redelivery's start position as typed: {position} or {problem}. */
export function redeliverPosition(value) {
  const v = String(value ?? '').trim();
  if (!/^\d+$/.test(v)) return { problem: 'Give a position: a whole number, 0 or more (the log and the System page show positions).' };
  return { position: Number(v) };
}

/** A refusal in plain language. */
export function webhookErrorText(err) {
  const code = err && err.code;
  if (code === 'unsafe_url') {
    return 'This address is refused: it leads to a private, local or otherwise internal network address, where the help desk does not send events. Use an address on the public internet (or ask the operator to allow this one).';
  }
  if (code === 'forbidden') return 'Only administrators may manage webhooks.';
  if (code === 'not_found' || (err && err.status === 404)) return 'This endpoint no longer exists: someone deleted it. The list is refreshed.';
  if (!err || err.status === 0) return 'Not sent: the server cannot be reached. Try again in a moment.';
  if (err.status === 422) return `Not accepted: ${String(err.message || 'the request is not valid')}`;
  if (err.status >= 500) return 'The server failed to do it. Try again in a moment.';
  return String(err.message || 'It could not be done.');
}
