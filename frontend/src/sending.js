// What every form that sends a command does, in one place: the text kept as a draft as you type (a sent form
// clears it), Ctrl+Enter (Cmd+Enter) to send, checks before sending (a required text, a limit) said next to the
// form, the send button busy while it goes, one Idempotency-Key per text (submission.js), and refusals in plain
// words next to the field they name.

import * as api from './api.js';
import { h, mount } from './dom.js';
import { overLimit } from './forms.js';
import { createSubmission } from './submission.js';
import { errorDetail, errorText } from './words.js';

/** Ctrl+Enter and Cmd+Enter send the form. */
export function sendOnCtrlEnter(form) {
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && !event.altKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
}

/** Keep every named text control of the form as a draft (scope, `${prefix}${name}`), restoring what was kept. */
export function keepDrafts(form, drafts, scope, prefix = '') {
  const controls = [...form.querySelectorAll('textarea[name], input[type=text][name]')];
  for (const control of controls) {
    const field = `${prefix}${control.name}`;
    const kept = drafts.get(scope, field);
    if (kept) {
      control.value = kept;
      control.dispatchEvent(new Event('counter:update'));
    }
    control.addEventListener('input', () => drafts.set(scope, field, control.value));
  }
  return {
    clear() {
      for (const control of controls) drafts.clear(scope, `${prefix}${control.name}`);
    },
    restored: controls.some((c) => drafts.get(scope, `${prefix}${c.name}`)),
  };
}

/**
 * Show a refusal next to the form in plain words, and mark the field it names. The technical detail (code,
 * request id) is for staff only, folded in a <details>.
 */
export function showFormError(form, box, err, { staff = false } = {}) {
  box.replaceChildren();
  for (const el of form.querySelectorAll('[data-api-invalid]')) {
    el.removeAttribute('aria-invalid');
    delete el.dataset.apiInvalid;
  }
  if (!err) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  box.append(h('p', { class: 'error-message' }, errorText(err, { staff })));
  const detail = errorDetail(err);
  if (staff && err.code && detail) {
    box.append(h('details', { class: 'error-detail' }, h('summary', null, 'Technical details'), h('p', { class: 'small' }, detail)));
  }
  const field = err.field ? String(err.field).replace(/^data\./, '') : null;
  const el = field ? form.elements.namedItem(field) : null;
  if (el && el.setAttribute) {
    el.setAttribute('aria-invalid', 'true');
    el.dataset.apiInvalid = 'true';
    el.focus();
  } else {
    box.focus();
  }
}

/** Say why the form was not sent (a check's problem {message, control, mark}) and put the focus where to fix it. */
function sayProblem(box, { message, control, mark = false }) {
  box.hidden = false;
  mount(box, h('p', { class: 'error-message' }, message));
  if (control && mark) {
    control.setAttribute('aria-invalid', 'true');
    control.dataset.apiInvalid = 'true';
  }
  if (control) control.focus();
}

/**
 * Make `form` send a command. Options:
 * - submit, errorArea: its send button and the box for problems and refusals; staff: refusals with detail;
 * - drafts, scope, prefix: where its text is kept as drafts (see keepDrafts);
 * - checks: functions returning a problem {message, control, mark} or null, run before the limits are checked;
 * - send(key): sends with the Idempotency-Key and resolves to the answer; busyLabel: the button meanwhile;
 * - sent(answer): after an answer (drafts are cleared by then); refused(error): after the refusal is shown;
 * - isOpen(): false when the form was closed or the page left meanwhile (a late refusal is then not shown);
 * - settled(): after either, once the button is back (e.g. to redraw it).
 * Returns {drafted} ({restored, clear()} of keepDrafts).
 */
export function sendingForm(form, {
  submit, errorArea, staff = false, drafts, scope, prefix = '', checks = [], send, busyLabel = 'Sending…',
  sent = () => {}, refused = () => {}, isOpen = () => true, settled = () => {},
}) {
  const drafted = keepDrafts(form, drafts, scope, prefix);
  sendOnCtrlEnter(form);
  const submission = createSubmission({
    newKey: api.newIdempotencyKey,
    checks: [...checks, () => overLimit(form)],
    send,
    drafted,
  });
  form.addEventListener('input', () => submission.changed()); // a changed form is a new request
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    showFormError(form, errorArea, null, { staff });
    const label = submit.textContent;
    const outcome = await submission.run({
      onStart: () => {
        submit.disabled = true;
        submit.textContent = busyLabel;
      },
    });
    if (outcome.status === 'busy') return;
    if (outcome.status === 'stopped') {
      sayProblem(errorArea, outcome.problem);
      return;
    }
    if (outcome.status === 'refused' && !isOpen()) return;
    try {
      if (outcome.status === 'sent') {
        await sent(outcome.answer);
      } else {
        showFormError(form, errorArea, outcome.error, { staff });
        refused(outcome.error);
      }
    } finally {
      submit.textContent = label;
      submit.disabled = false;
      settled();
    }
  });
  return { drafted };
}
