// Personal data that was erased: the help desk stores the constant "[erased]" in place of the text; people read a
// clear placeholder instead, wherever a ticket's text appears (subject, description, conversation, history).

import { h } from './dom.js';

export const ERASED = '[erased]';
const TITLE = 'This text was erased with the personal data of the person it belonged to.';

/** Whether a value is an erased text. */
export function isErased(value) {
  return typeof value === 'string' && value.trim() === ERASED;
}

/** The placeholder of an erased text: a symbol and "Erased", described in its title. */
export function erasedMark() {
  return h('span', { class: 'erased', title: TITLE, dataset: { erased: '' } },
    h('span', { 'aria-hidden': 'true' }, '⊘ '), 'Erased', h('span', { class: 'sr-only' }, ': personal data removed'));
}

/** A ticket text for the page: the placeholder when erased, else the text (or `fallback` when empty). */
export function personalText(value, fallback = '') {
  if (isErased(value)) return erasedMark();
  return value || fallback;
}

/** The same as plain text (a window title, an attribute). */
export function personalPlain(value, fallback = '') {
  if (isErased(value)) return 'Erased';
  return value || fallback;
}
