// The keyboard shortcut overlay: a modal dialog listing every shortcut, opened by "?" or the header's button,
// closed by Escape or its Close button, giving focus back to where it was.

import { h } from './dom.js';
import { listed } from './shortcuts.js';

let dialog = null;
let returnTo = null;

function keys(text) {
  // "g q" -> <kbd>g</kbd> then <kbd>q</kbd>
  const parts = text.split(' ');
  return parts.flatMap((k, i) => [i ? ' then ' : null, h('kbd', null, k)]).filter(Boolean);
}

export function isOpen() {
  return Boolean(dialog && dialog.open);
}

/** Open the overlay; `withList` adds the shortcuts of a page with a ticket list. */
export function openHelp({ withList = false } = {}) {
  if (isOpen()) return;
  returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  if (dialog) dialog.remove();
  const close = h('button', { type: 'button', class: 'btn btn-small', id: 'shortcut-help-close', onclick: () => d.close() }, 'Close');
  const d = h('dialog', { class: 'shortcut-help', id: 'shortcut-help', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'shortcut-help-title' },
    h('div', { class: 'dialog-body' },
      h('div', { class: 'dialog-head' }, h('h2', { id: 'shortcut-help-title' }, 'Keyboard shortcuts'), close),
      h('p', { class: 'muted small' }, 'They work anywhere except while typing in a field.'),
      h('dl', { class: 'shortcut-list' },
        listed(withList).flatMap((s) => [h('dt', null, keys(s.keys)), h('dd', null, s.description)])),
      withList ? null : h('p', { class: 'muted small' }, 'In the queue, j, k, o, Enter and x move through and pick tickets.')));
  d.addEventListener('close', () => {
    const target = returnTo;
    returnTo = null;
    d.remove();
    if (dialog === d) dialog = null;
    if (target && target.isConnected) target.focus();
  });
  dialog = d;
  document.body.append(d);
  d.showModal(); // Escape closes a modal dialog; focus stays inside it while open
  close.focus();
}
