// The conversation: the description first, then public messages and (staff only) internal notes, in time order;
// notes are labelled and styled apart. Below it the reply box, for everyone who may write: staff switch between
// "Reply to customer" and "Internal note"; a customer asked for information answers with the reply box (which
// sends the workflow's customer reply); on a closed ticket a customer is told to reopen it.

import * as api from '../api.js';
import { h, mount, uid } from '../dom.js';
import { personalText } from '../erased.js';
import { attachCounter } from '../forms.js';
import { sendingForm } from '../sending.js';
import { announce, formErrorArea, timeEl } from '../ui.js';
import { messageLabel, statusLabel } from '../words.js';
import { conversationEntries } from './entries.js';

const BODY_LIMIT = 10_000; // ConversationData.body and MessageData.message

export function createConversation({ id, staff, me, drafts, onSent, openAction }) {
  const section = h('section', { class: 'card conversation', 'aria-labelledby': 'conv-title' });
  const count = h('span', { class: 'muted small conv-count', dataset: { testid: 'reply-count' } });
  const list = h('ol', { class: 'messages' });
  const composer = h('div', { class: 'composer' });
  mount(section, h('div', { class: 'conv-head' }, h('h2', { id: 'conv-title' }, 'Conversation'), count), list, composer);

  let ticket = null;
  let mode = staff && drafts.get(id, 'composer.mode') === 'note' ? 'note' : 'reply';

  // ---- the reply box ----------------------------------------------------------------------------------
  const bodyId = uid('reply-body');
  const label = h('label', { for: bodyId, class: 'composer-label' });
  const textarea = h('textarea', { id: bodyId, name: 'body', rows: 4, dataset: { label: 'Your text' } });
  const hint = h('p', { class: 'hint composer-hint', id: `${bodyId}-hint` });
  textarea.setAttribute('aria-describedby', hint.id);
  const counter = attachCounter(textarea, BODY_LIMIT);
  const errorArea = formErrorArea();
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' });
  const modeName = uid('mode');
  const radios = {};
  const switcher = staff ? h('fieldset', { class: 'mode-switch' },
    h('legend', { class: 'sr-only' }, 'Write'),
    ['reply', 'note'].map((value) => {
      radios[value] = h('input', { type: 'radio', name: modeName, value, id: `${modeName}-${value}`, checked: mode === value, onchange: () => setMode(value) });
      return h('label', { for: `${modeName}-${value}`, class: `mode-${value}` }, radios[value], value === 'reply' ? 'Reply to customer' : 'Internal note');
    })) : null;
  const form = h('form', { class: 'reply-box stack', novalidate: true, dataset: { testid: 'reply-box' } },
    switcher, label, textarea, h('div', { class: 'composer-foot' }, hint, counter), errorArea,
    h('div', { class: 'actions-row' }, submit, h('span', { class: 'muted small' }, 'Ctrl+Enter sends')));
  let sending = null; // what the last send was: 'reply', 'answer' or 'note'
  const { drafted } = sendingForm(form, {
    submit, errorArea, staff, drafts, scope: id, prefix: 'composer.',
    checks: [() => (textarea.value.trim() ? null : { message: 'Write something before sending.', control: textarea })],
    send: (key) => {
      const body = textarea.value.trim();
      sending = sendKind();
      if (sending === 'note') return api.postNote(id, body, key);
      if (sending === 'answer') return api.fireTransition('customer_reply', id, { message: body }, undefined, key);
      return api.postReply(id, body, key);
    },
    sent: async (answer) => {
      textarea.value = '';
      textarea.dispatchEvent(new Event('counter:update'));
      announce(sending === 'note' ? 'Internal note added' : 'Reply sent', 'success');
      await onSent(answer, sending === 'answer' ? `Reply sent. Status: ${statusLabel(answer.place, staff)}.` : null);
      textarea.focus();
    },
    refused: (err) => {
      if (err.field !== 'body' && err.field !== 'data.message') textarea.focus();
      if (err.status === 409) onSent(null, null); // closed or moved on meanwhile: show the ticket as it is now
    },
    settled: () => drawComposer(),
  });

  /** What sending does now: a reply, the workflow's customer reply (answers a question), or a note. */
  function sendKind() {
    if (staff) return mode === 'note' || (ticket && ticket.place === 'closed') ? 'note' : 'reply';
    return ticket && (ticket.available_transitions || []).includes('customer_reply') ? 'answer' : 'reply';
  }

  function setMode(value) {
    mode = value;
    drafts.set(id, 'composer.mode', value === 'note' ? 'note' : '');
    drawComposer();
  }

  function drawComposer() {
    if (!ticket) return;
    const closed = ticket.place === 'closed';
    if (!staff && closed) {
      mount(composer, h('div', { class: 'closed-note', dataset: { testid: 'closed-note' } },
        h('p', null, 'This ticket is closed. To write to us again, reopen it.'),
        (ticket.available_transitions || []).includes('reopen')
          ? h('button', { type: 'button', class: 'btn', onclick: () => openAction('reopen') }, 'Reopen the ticket') : null,
        drafted.restored || textarea.value ? h('p', { class: 'muted small' }, 'Your unsent text is kept and comes back when the ticket is reopened.') : null));
      return;
    }
    if (staff) {
      radios.reply.disabled = closed;
      if (closed && mode === 'reply') radios.note.checked = true;
      else radios[mode].checked = true;
    }
    const kind = sendKind();
    form.dataset.kind = kind;
    form.classList.toggle('is-note', kind === 'note');
    if (kind === 'note') {
      label.textContent = 'Internal note — only staff can read it';
      hint.textContent = closed && staff ? 'The ticket is closed: customers cannot be written to, notes are still kept.' : 'The customer never sees this.';
      submit.textContent = 'Add internal note';
    } else if (kind === 'answer') {
      label.textContent = 'Your reply';
      hint.textContent = 'We asked you for information: your reply answers it and the agent goes on.';
      submit.textContent = 'Send reply';
    } else {
      label.textContent = staff ? 'Reply to the customer' : 'Your reply';
      hint.textContent = staff ? 'The customer reads this in the conversation.' : 'Our team reads your reply; the status stays as it is.';
      submit.textContent = 'Send reply';
    }
    if (!composer.contains(form)) mount(composer, form);
  }

  // ---- the list ---------------------------------------------------------------------------------------
  function entry(m) {
    const own = m.author === me;
    const who = !staff && own ? 'You' : m.author || 'unknown';
    const fromRequester = m.author === ticket.requester;
    const body = m.kind === 'opened' && !m.body ? h('p', { class: 'message-body muted' }, 'No description was given.') : h('p', { class: 'message-body' }, personalText(m.body));
    return h('li', {
      class: ['message', m.internal ? 'internal-note' : fromRequester ? 'from-requester' : 'from-staff', m.kind === 'resolution' && 'resolution'],
      dataset: { kind: m.kind, internal: m.internal ? 'true' : 'false' },
    },
    m.internal ? h('p', { class: 'note-flag' }, h('strong', null, 'Internal note'), ' · only staff can read this') : null,
    h('div', { class: 'message-meta' },
      h('strong', { class: 'message-author' }, who),
      !fromRequester && !m.internal ? h('span', { class: 'team-tag' }, 'Support team') : null,
      ` ${m.internal ? messageLabel(m.kind, staff).replace(/^Internal note( · )?/, '') || 'wrote' : messageLabel(m.kind, staff)} · `,
      timeEl(m.at)),
    body);
  }

  function update(next) {
    ticket = next;
    const entries = conversationEntries(ticket, staff);
    const replies = entries.filter((e) => e.kind !== 'opened' && !e.internal).length;
    const notes = entries.filter((e) => e.internal).length;
    count.textContent = [replies ? `${replies} ${replies === 1 ? 'reply' : 'replies'}` : 'No replies yet',
      staff && notes ? `${notes} internal ${notes === 1 ? 'note' : 'notes'}` : null].filter(Boolean).join(' · ');
    mount(list, entries.map(entry));
    drawComposer();
  }

  return { element: section, update, focus: () => textarea.focus() };
}
