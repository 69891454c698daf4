// Words for people: what a customer reads about a ticket (status, next step, history), the labels staff read
// (humanized transition names, never raw event types), and refusals in plain language. Pure functions, no DOM,
// so `node --test frontend/test/` covers them.

import { humanize } from './format.js';

/** A customer's words for each place of the net: a status and what happens next. */
export const CUSTOMER_STATUS = {
  new: { label: 'Received', next: 'We will assign it soon.' },
  assigned: { label: 'Assigned', next: 'An agent will start on it soon.' },
  in_progress: { label: 'In progress', next: 'An agent is working on it.' },
  escalated: { label: 'With our specialists', next: 'A senior colleague is looking into it.' },
  pending_customer: { label: 'Waiting for your reply', next: 'Please answer our question below.' },
  resolved: { label: 'Resolved', next: 'If the problem is not solved, reply below.' },
  closed: { label: 'Closed', next: 'If the problem comes back, reopen the ticket.' },
};

/** {label, next} for a place, in a customer's words (an unknown place is humanized, with no next step). */
export function customerStatus(place) {
  return CUSTOMER_STATUS[place] || { label: humanize(place) || 'Unknown', next: '' };
}

/** The status badge text: a customer's words for customers, the place's name for staff. */
export function statusLabel(place, staff) {
  return staff ? humanize(place) : customerStatus(place).label;
}

/** What a customer reads on the button of a transition it may fire. */
const CUSTOMER_ACTIONS = {
  customer_reply: { label: 'Send the information', hint: 'Answer our question; the agent goes on with your reply.' },
  reopen: { label: 'Reopen the ticket', hint: 'Tell us what is still wrong, and the ticket goes back to our team.' },
};

/** Label and hint of a transition's button and form, for staff or for a customer. */
export function actionWords(transition, staff, description = '') {
  if (!staff && CUSTOMER_ACTIONS[transition]) return CUSTOMER_ACTIONS[transition];
  return { label: humanize(transition), hint: staff ? description : '' };
}

/** Labels of a transition's fields where the schema's own wording is written for engineers. */
const FIELD_WORDS = {
  note: { label: 'Internal note', hint: 'Kept in the audit trail; only staff can read it.' },
  message: { label: 'Message', hint: '' },
  reason: { label: 'Reason', hint: '' },
  resolution: { label: 'Resolution', hint: 'The customer reads this in the conversation.' },
  assignee: { label: 'Assignee', hint: 'An agent from the staff directory.' },
};
const CUSTOMER_FIELD_WORDS = {
  message: { label: 'Your answer', hint: '' },
  reason: { label: 'What is still wrong?', hint: '' },
};

export function fieldWords(name, staff) {
  return (!staff && CUSTOMER_FIELD_WORDS[name]) || FIELD_WORDS[name] || { label: humanize(name), hint: null };
}

// ---- history ---------------------------------------------------------------------------------------------

const TRANSITION_BY_EVENT = {
  Assigned: 'assign',
  StartWorked: 'start_work',
  Escalateed: 'escalate',
  RequestInfoed: 'request_info',
  CustomerReplyed: 'customer_reply',
  Resolveed: 'resolve',
  ResolveEscalated: 'resolve_escalated',
  Closeed: 'close',
  Reopened: 'reopen',
};

/**
 * One line of a customer's history of its ticket, or null for what a customer never reads.
 * `event` is {type, actor, data}; `me` is the reader; `requester` the ticket's requester.
 */
export function customerHistoryLine(event, me, requester) {
  const mine = event.actor === me;
  switch (event.type) {
    case 'Created':
      return mine ? 'You opened the ticket' : `Our team opened the ticket for ${requester === me ? 'you' : requester}`;
    case 'Assigned':
      return 'An agent was assigned to it';
    case 'StartWorked':
      return 'An agent started working on it';
    case 'Escalateed':
      return 'It was passed to our specialists';
    case 'RequestInfoed':
      return 'We asked you for more information';
    case 'CustomerReplyed':
      return mine ? 'You sent the information we asked for' : 'The information we asked for arrived';
    case 'Resolveed':
    case 'ResolveEscalated':
      return 'We resolved it';
    case 'Closeed':
      return 'The ticket was closed';
    case 'Reopened':
      return mine ? 'You reopened the ticket' : 'The ticket was reopened';
    case 'ReplyAdded':
      return mine ? 'You wrote a reply' : 'We replied';
    default:
      return null; // internal notes and anything new: not for customers
  }
}

/** A staff member's label for an event: the humanized transition, never the raw event type. */
export function staffEventLabel(event) {
  if (event.type === 'Created') return 'Opened';
  if (event.type === 'ReplyAdded') return 'Reply';
  if (event.type === 'InternalNoteAdded') return 'Internal note';
  const transition = event.transition || TRANSITION_BY_EVENT[event.type];
  return transition ? humanize(transition) : humanize(event.type.replace(/([a-z])([A-Z])/g, '$1 $2'));
}

/** How a conversation entry is introduced ("asked for information", "Resolution", ...). */
export function messageLabel(kind, staff) {
  switch (kind) {
    case 'opened':
      return 'opened the ticket';
    case 'reply':
    case 'customer_reply':
      return 'wrote';
    case 'request_info':
      return staff ? 'asked the customer for information' : 'asked you for information';
    case 'resolution':
      return 'resolved the ticket';
    case 'reopen':
      return 'reopened the ticket';
    case 'note':
      return 'Internal note';
    case 'escalation':
      return 'Internal note · reason for escalating';
    default:
      return kind ? `Internal note · with ${humanize(kind)}` : '';
  }
}

// ---- refusals --------------------------------------------------------------------------------------------

const nf = new Intl.NumberFormat('en');
export const formatCount = (n) => nf.format(n);

/** "data.note" -> "Note"; "data.assignee" -> "Assignee". */
export function fieldName(field) {
  if (!field) return '';
  const last = String(field).replace(/^(body\.)?data\./, '').split('.').pop();
  return last === 'body' ? 'Your text' : humanize(last);
}

/** A validation message (pydantic's wording, after "field: ") said for a person. */
export function validationText(field, message) {
  const name = fieldName(field) || 'This field';
  const text = String(message || '').trim();
  let m = text.match(/at most (\d+) (?:characters?|items)/i);
  if (m) return `${name} is too long: at most ${formatCount(Number(m[1]))} characters.`;
  m = text.match(/at least (\d+) (?:characters?|items?)/i);
  if (m) return Number(m[1]) <= 1 ? `${name} cannot be empty.` : `${name} is too short: at least ${formatCount(Number(m[1]))} characters.`;
  if (/field required|missing/i.test(text)) return `${name} is required.`;
  m = text.match(/should be (.+)$/i);
  if (/^Input should be/i.test(text) && m) return `${name} should be ${m[1].replace(/'/g, '')}.`;
  if (/extra inputs/i.test(text)) return `${name} is not expected here.`;
  if (/NUL|surrogate/.test(text)) return `${name} contains a character that cannot be stored.`;
  const clean = text.replace(/^[a-z]/, (c) => c.toUpperCase());
  return `${name}: ${clean}${/[.!?]$/.test(clean) ? '' : '.'}`;
}

/**
 * A refusal or failure in plain language: no "Refused." and no codes (those go in the technical details).
 * `err` is an ApiError-like {status, code, message, field}.
 */
export function errorText(err, { staff = false } = {}) {
  if (!err) return '';
  const code = err.code;
  const message = String(err.message || '');
  if (err.status === 0 || code === 'network_error') return 'Not sent: the server cannot be reached. Your text is kept; try again in a moment.';
  switch (code) {
    case 'ticket_closed':
      return staff
        ? 'This ticket is closed: a reply to the customer needs it reopened. Internal notes are still possible.'
        : 'This ticket is closed. Reopen it to write to us again.';
    case 'unknown_assignee': {
      const who = message.match(/'([^']*)'/);
      return `${who ? `“${who[1]}”` : 'That name'} is not a known member of staff. Pick an agent from the list.`;
    }
    case 'version_conflict':
      return 'Someone changed this ticket while you were writing. Your text is kept: check the ticket and send again.';
    case 'transition_not_enabled':
      return 'This is no longer possible: the ticket has moved on. Your text is kept.';
    case 'ticket_not_found':
    case 'not_ticket_owner':
      return 'This ticket does not exist, or it is not yours to see.';
    case 'forbidden':
      return 'You are not allowed to do this.';
    case 'body_too_large':
      return 'This is too long to send.';
    case 'projection_behind':
    case 'not_ready':
      return 'The help desk is busy catching up. Try again in a moment.';
    default:
      break;
  }
  if (err.field && (code === 'invalid_data' || code === 'invalid_request' || err.status === 422)) {
    const prefix = `${err.field}: `;
    return validationText(err.field, message.startsWith(prefix) ? message.slice(prefix.length) : message);
  }
  if (err.status >= 500) return 'Something went wrong on our side. Please try again in a moment.';
  if (!message) return 'Something went wrong.';
  return message.charAt(0).toUpperCase() + message.slice(1);
}

/** The technical detail of a failure, for staff: code, HTTP status, request id. */
export function errorDetail(err) {
  if (!err) return '';
  const parts = [];
  if (err.code) parts.push(`code ${err.code}`);
  if (err.status) parts.push(`HTTP ${err.status}`);
  if (err.requestId) parts.push(`request ${err.requestId}`);
  if (err.message) parts.push(err.message);
  return parts.join(' · ');
}

/** "No replies yet", "1 reply", "3 replies": the description is not a reply, so a new ticket never says "0". */
export function replyCount(ticket) {
  const n = typeof ticket.message_count === 'number' ? ticket.message_count : (ticket.messages || []).length;
  if (!n) return 'No replies yet';
  return `${formatCount(n)} ${n === 1 ? 'reply' : 'replies'}`;
}
