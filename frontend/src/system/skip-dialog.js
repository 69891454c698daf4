// "Skip this event": a dialog asking for the reason (3 to 500 characters, with a counter) and saying what skipping
// means: the event's effect will be missing from the read model. It sends the halt's position with the reason.

import { h, mount, uid } from '../dom.js';
import { attachCounter } from '../forms.js';
import { shortId } from '../format.js';
import { formErrorArea } from '../ui.js';
import { modalButtons, openModal } from './modal.js';
import { REASON_MAX, reasonProblem, skipBody } from './skip-reason.js';

/**
 * Open the dialog for `projection` halted at `halt`. `send(body)` sends the skip and resolves to the answer;
 * `sent(answer)` follows a success (the dialog is closed by then); `refused(err)` returns {text, refresh}: with
 * refresh the dialog closes (the page says why), else the text is shown in the dialog.
 */
export function openSkipDialog({ projection, halt, send, sent, refused, returnTo }) {
  const fieldId = uid('skip-reason');
  const hintId = `${fieldId}-hint`;
  let closeDialog = () => {};

  function content(close) {
    closeDialog = close;
    const reason = h('textarea', {
      id: fieldId, name: 'reason', rows: 4, required: true, 'aria-describedby': hintId,
      dataset: { label: 'Reason', testid: 'skip-reason' },
    });
    const errors = formErrorArea();
    const submit = h('button', { type: 'submit', class: 'btn btn-danger', dataset: { testid: 'skip-confirm' } }, 'Skip the event');
    const form = h('form', { class: 'stack', novalidate: true },
      h('p', null,
        `The projection “${projection}” goes on after position ${halt.position} without applying this event: `,
        h('strong', null, `the effect of ${halt.event_type} on ticket ${shortId(halt.ticket_id)} will be missing from the read model.`),
        ' The skip is recorded with your name, the reason and the time.'),
      h('div', { class: 'field' },
        h('label', { for: fieldId }, 'Reason', h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')),
        reason,
        h('p', { class: 'hint', id: hintId }, 'What was wrong with the event and why the read model can do without it (3 to 500 characters).'),
        attachCounter(reason, REASON_MAX)),
      errors,
      modalButtons(submit, close));

    const say = (text) => {
      errors.hidden = false;
      mount(errors, h('p', { class: 'error-message' }, text));
    };
    reason.addEventListener('input', () => {
      if (reason.dataset.apiInvalid) {
        reason.removeAttribute('aria-invalid');
        delete reason.dataset.apiInvalid;
      }
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (submit.disabled) return;
      const problem = reasonProblem(reason.value);
      if (problem) {
        say(problem);
        reason.setAttribute('aria-invalid', 'true');
        reason.dataset.apiInvalid = 'true';
        reason.focus();
        return;
      }
      errors.hidden = true;
      submit.disabled = true;
      submit.textContent = 'Skipping…';
      try {
        const answer = await send(skipBody(halt.position, reason.value));
        closeDialog();
        sent(answer);
      } catch (err) {
        const { text, refresh } = refused(err);
        if (refresh) {
          closeDialog();
        } else {
          say(text);
          reason.focus();
        }
      } finally {
        submit.disabled = false;
        submit.textContent = 'Skip the event';
      }
    });
    return form;
  }

  return openModal({ title: `Skip the event at position ${halt.position}?`, content, className: 'skip-dialog', returnTo });
}
