// "Erase…": a dialog that says exactly what erasing does (irreversible; texts become "erased"; the record keeps
// who and when), and asks for the reason and the user id typed again before it sends.

import { h, mount, uid } from '../dom.js';
import { attachCounter } from '../forms.js';
import { modalButtons, openModal } from '../system/modal.js';
import { formErrorArea } from '../ui.js';
import { eraseBody, eraseProblem, REASON_MAX } from './model.js';

/** Open the dialog for `subject`; `send(body)` erases, `sent(answer)` and `refused(err) -> text` follow. */
export function openEraseDialog({ subject, send, sent, refused, returnTo }) {
  return openModal({
    title: `Erase the personal data of ${subject}?`,
    className: 'erase-dialog',
    returnTo,
    content(close) {
      const reasonId = uid('reason');
      const confirmId = uid('confirm');
      const reason = h('textarea', { id: reasonId, name: 'reason', rows: 3, required: true, 'aria-describedby': `${reasonId}-hint`, dataset: { label: 'Reason', testid: 'erase-reason' } });
      const confirmation = h('input', { type: 'text', id: confirmId, name: 'confirmation', autocomplete: 'off', spellcheck: 'false', required: true, dataset: { testid: 'erase-confirmation' } });
      const errors = formErrorArea();
      const submit = h('button', { type: 'submit', class: 'btn btn-danger', dataset: { testid: 'erase-confirm' } }, 'Erase for good');
      const form = h('form', { class: 'stack', novalidate: true },
        h('ul', { class: 'erase-facts' },
          h('li', null, h('strong', null, 'This cannot be undone. '), `The key that opens ${subject}\u2019s texts is destroyed; no backup brings them back.`),
          h('li', null, 'Every subject, description, message and name they wrote reads “erased” from now on: on every page, in exports, in rebuilds, and in what partners receive afterwards.'),
          h('li', null, 'Tickets, their places and times stay, and so does the user id. The erasure itself is recorded with your name, the time and the reason.')),
        h('div', { class: 'field' },
          h('label', { for: reasonId }, 'Reason', h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')), reason,
          h('p', { class: 'hint', id: `${reasonId}-hint` }, 'Why, e.g. the request it answers (3 to 500 characters).'),
          attachCounter(reason, REASON_MAX)),
        h('div', { class: 'field' },
          h('label', { for: confirmId }, 'Type the user id ', h('span', { class: 'mono' }, subject), ' to confirm'), confirmation),
        errors,
        modalButtons(submit, close));
      const say = (text, control) => {
        errors.hidden = false;
        mount(errors, h('p', { class: 'error-message' }, text));
        if (control) {
          control.setAttribute('aria-invalid', 'true');
          control.dataset.apiInvalid = 'true';
          control.focus();
        }
      };
      form.addEventListener('input', (e) => {
        if (e.target.dataset.apiInvalid) {
          e.target.removeAttribute('aria-invalid');
          delete e.target.dataset.apiInvalid;
        }
      });
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        if (submit.disabled) return;
        const problem = eraseProblem({ subject, reason: reason.value, confirmation: confirmation.value });
        if (problem) {
          say(problem.message, problem.field === 'reason' ? reason : confirmation);
          return;
        }
        errors.hidden = true;
        submit.disabled = true;
        submit.textContent = 'Erasing…';
        try {
          const answer = await send(eraseBody(reason.value));
          close();
          sent(answer);
        } catch (err) {
          say(refused(err), null);
          errors.focus();
        } finally {
          submit.disabled = false;
          submit.textContent = 'Erase for good';
        }
      });
      return form;
    },
  });
}
