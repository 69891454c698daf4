// Personal data (the admin role): everything held about a person exported as JSON, and their erasure (the key
// that opens their texts destroyed, recorded with who, when and why). Ticket pages show erased texts as
// "Erased" (erased.js).

import * as api from '../api.js';
import * as auth from '../auth.js';
import { notAvailable, sayIn } from '../admin.js';
import { h, mount } from '../dom.js';
import { openEraseDialog } from '../privacy/erase-dialog.js';
import { eraseResultText, exportFileName, exportSummary, privacyErrorText, subjectId } from '../privacy/model.js';
import { focusTitle, formErrorArea, pageTitle, timeEl } from '../ui.js';

export function renderPrivacy(root) {
  if (!auth.hasRole('admin')) return notAvailable(root, 'the personal-data page');
  let disposed = false;
  let fileUrl = null;
  const input = h('input', { type: 'text', id: 'privacy-subject', name: 'subject', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'privacy-subject-hint', dataset: { testid: 'privacy-subject' } });
  const errors = formErrorArea();
  const summary = h('div', { class: 'outcome', role: 'status', 'aria-live': 'polite', dataset: { testid: 'export-summary' } });
  const result = h('div', { class: 'outcome', role: 'status', 'aria-live': 'polite', dataset: { testid: 'erase-result' } });
  const exportButton = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { testid: 'export' } }, 'Export');
  const eraseButton = h('button', { type: 'button', class: 'btn btn-danger-outline', 'aria-haspopup': 'dialog', dataset: { testid: 'erase' } }, 'Erase…');

  const problem = (text) => {
    errors.hidden = false;
    mount(errors, h('p', { class: 'error-message' }, text));
  };
  const who = () => {
    const subject = subjectId(input.value);
    if (!subject) {
      problem('Give the person\u2019s user id (the name they sign in with).');
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return null;
    }
    input.removeAttribute('aria-invalid');
    errors.hidden = true;
    return subject;
  };

  function download(subject, answer) {
    if (fileUrl) URL.revokeObjectURL(fileUrl);
    fileUrl = URL.createObjectURL(new Blob([JSON.stringify(answer, null, 2)], { type: 'application/json' }));
    const name = exportFileName(subject);
    const link = h('a', { href: fileUrl, download: name, dataset: { testid: 'export-file' } }, name);
    const s = exportSummary(answer);
    mount(summary, h('div', { class: 'success' },
      h('p', null, h('strong', null, 'Exported: '), h('span', { dataset: { testid: 'export-text' } }, s.text)),
      h('p', { class: 'small' }, 'The file is downloaded: ', link, answer.exported_at ? [' (as of ', timeEl(answer.exported_at, { relative: false }), ')'] : '', '.')));
    link.click();
  }

  const form = h('form', { class: 'card stack', id: 'privacy-form', novalidate: true, 'aria-label': 'A person\u2019s data' },
    h('div', { class: 'field' }, h('label', { for: 'privacy-subject' }, 'User id'), input,
      h('p', { class: 'hint', id: 'privacy-subject-hint' }, 'The person\u2019s user id: the requester shown on their tickets.')),
    errors,
    h('div', { class: 'actions-row' }, exportButton, eraseButton));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const subject = who();
    if (!subject || exportButton.disabled) return;
    exportButton.disabled = true;
    sayIn(summary, null);
    try {
      const answer = await api.exportSubject(subject);
      if (!disposed) download(subject, answer);
    } catch (err) {
      if (!disposed) problem(privacyErrorText(err));
    } finally {
      exportButton.disabled = false;
    }
  });
  eraseButton.addEventListener('click', () => {
    const subject = who();
    if (!subject) return;
    openEraseDialog({
      subject,
      returnTo: () => eraseButton,
      send: (body) => api.eraseSubject(subject, body.reason),
      refused: privacyErrorText,
      sent: (answer) => {
        mount(result, h('div', { class: 'success', dataset: { testid: 'erased' } },
          h('p', null, eraseResultText(answer)),
          h('p', { class: 'small' }, 'Erased ', timeEl(answer.erased_at, { relative: false }), '. Their tickets now show “Erased” where their texts were.')));
      },
    });
  });

  mount(root, pageTitle('Personal data'),
    h('p', { class: 'muted' }, 'Export everything the help desk holds about a person, or erase it. Texts are kept encrypted with a key per person; erasing destroys the key, so every copy becomes unreadable at once.'),
    form, summary, result);
  focusTitle();
  return () => {
    disposed = true;
    if (fileUrl) URL.revokeObjectURL(fileUrl);
    for (const dialog of document.querySelectorAll('dialog.modal[open]')) dialog.close();
  };
}
