// The signing secret of a new endpoint, shown once: a dialog with the secret, a copy button and a warning that
// it is never shown again. Closing it returns focus to where the person was.

import { h } from '../dom.js';
import { openModal } from '../system/modal.js';

async function copy(field) {
  try {
    await navigator.clipboard.writeText(field.value);
    return true;
  } catch {
    field.select(); // no clipboard permission: select it, the person copies it by hand
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

/** Show `secret` of the endpoint at `url` once. */
export function showSecretOnce({ secret, url, returnTo }) {
  return openModal({
    title: 'Copy the signing secret now',
    className: 'secret-dialog',
    returnTo,
    content(close) {
      const field = h('input', { type: 'text', id: 'webhook-secret', readonly: true, value: secret, class: 'mono secret-field', dataset: { testid: 'webhook-secret' }, 'aria-describedby': 'secret-warning' });
      const said = h('p', { class: 'small', role: 'status', 'aria-live': 'polite', dataset: { testid: 'copy-status' } });
      const copyButton = h('button', { type: 'button', class: 'btn btn-primary', dataset: { testid: 'copy-secret' }, onclick: async () => {
        said.textContent = (await copy(field)) ? 'Copied to the clipboard.' : 'Could not copy: the secret is selected, copy it with Ctrl+C.';
      } }, 'Copy');
      return h('div', { class: 'stack' },
        h('p', null, 'The endpoint ', h('span', { class: 'mono wrap' }, url), ' is registered. Partners check each delivery\u2019s signature with this secret.'),
        h('p', { class: 'notice', id: 'secret-warning' }, h('strong', null, 'This is the only time the secret is shown. '),
          'Copy it now and keep it where the receiving service reads it. If it is lost, delete the endpoint and register it again.'),
        h('div', { class: 'field' }, h('label', { for: 'webhook-secret' }, 'Signing secret'), h('div', { class: 'actions-row' }, field, copyButton)),
        said,
        h('div', { class: 'actions-row modal-actions' },
          h('button', { type: 'button', class: 'btn', dataset: { testid: 'secret-done' }, onclick: close }, 'I have copied it')));
    },
    focus: null,
  });
}
