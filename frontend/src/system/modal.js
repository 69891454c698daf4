// A modal dialog for the System page's confirmations: a title, content and a Cancel button; Escape or Cancel
// closes it and focus goes back to the control that opened it (or to what `returnTo()` names when that one was
// redrawn meanwhile).

import { h, uid } from '../dom.js';

/**
 * Open a modal dialog. `content(close)` returns its body (a form with its own buttons, usually); `focus` is the
 * element to focus first (default: the first field or button). Returns {dialog, close}.
 */
export function openModal({ title, content, className = '', focus = null, returnTo = null }) {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const titleId = uid('modal-title');
  const dialog = h('dialog', { class: ['modal', className], 'aria-labelledby': titleId, 'aria-modal': 'true' });
  const close = () => {
    if (dialog.open) dialog.close();
  };
  dialog.append(h('div', { class: 'dialog-body' }, h('h2', { id: titleId }, title), content(close)));
  dialog.addEventListener('close', () => {
    dialog.remove();
    const target = opener && opener.isConnected && opener !== document.body ? opener : returnTo && returnTo();
    if (target && target.isConnected) target.focus();
  });
  document.body.append(dialog);
  dialog.showModal(); // Escape closes a modal dialog; focus stays inside it while open
  const first = focus || dialog.querySelector('textarea, input, select, button');
  if (first) first.focus();
  return { dialog, close };
}

/** The dialog's buttons: the one that confirms (a submit button of its form) and Cancel. */
export function modalButtons(submit, close) {
  return h('div', { class: 'actions-row modal-actions' }, submit,
    h('button', { type: 'button', class: 'btn', onclick: close }, 'Cancel'));
}
