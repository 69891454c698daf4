// What the administrators' pages share: the page others get instead ("Not available"), and the outcome line.

import { h, mount } from './dom.js';
import * as router from './router.js';
import { pageTitle } from './ui.js';

/** The page a person without the admin role reads at an admin page's address. */
export function notAvailable(root, what) {
  mount(root, pageTitle('Not available'),
    h('p', { dataset: { testid: 'not-available' } }, `This page is not available to you: ${what} is for administrators.`),
    h('p', null, h('a', { href: router.href('/') }, 'Go to the start page')));
  return null;
}

/** Say `text` in an outcome box (a polite live region): 'success' or 'error'; null empties it. */
export function sayIn(box, text, kind = 'success') {
  if (!text) {
    mount(box);
    return;
  }
  mount(box, h('p', { class: kind === 'error' ? 'form-error' : 'success', dataset: { testid: `outcome-${kind}` } }, text));
}
