import assert from 'node:assert/strict';
import test from 'node:test';

import { createKeymap, isTyping, listed, offer, pageHandler, SEQUENCE_MS } from '../src/shortcuts.js';

// Minimal stand-ins for event targets: what isTyping reads of a DOM element.
function el(tagName, { parent = null, editable = null, role = null, type = null } = {}) {
  const attrs = { contenteditable: editable, role, type };
  return { tagName, parentElement: parent, isContentEditable: editable === 'true', getAttribute: (name) => attrs[name] ?? null };
}
const body = el('BODY');
const key = (k, extra = {}) => ({ key: k, target: body, ctrlKey: false, metaKey: false, altKey: false, ...extra });

test('single keys map to their actions', () => {
  const km = createKeymap();
  assert.equal(km.feed(key('j'), 0).action, 'next');
  assert.equal(km.feed(key('k'), 0).action, 'prev');
  assert.equal(km.feed(key('o'), 0).action, 'open');
  assert.equal(km.feed(key('?', { shiftKey: true }), 0).action, 'help');
  assert.equal(km.feed(key('/'), 0).action, 'search');
  assert.equal(km.feed(key('n'), 0).action, 'new-ticket');
  assert.equal(km.feed(key('z'), 0), null);
});

test('"g" then "q" within the sequence time is one shortcut', () => {
  const km = createKeymap();
  assert.equal(km.feed(key('g'), 1000), null);
  assert.equal(km.pending(), 'g');
  assert.equal(km.feed(key('q'), 1000 + SEQUENCE_MS).action, 'go-queue');
  assert.equal(km.pending(), null);
  assert.equal(km.feed(key('g'), 5000), null);
  assert.equal(km.feed(key('s'), 5001).action, 'go-stats');
});

test('a sequence times out, and its second key then counts on its own', () => {
  const km = createKeymap();
  km.feed(key('g'), 0);
  assert.equal(km.feed(key('q'), SEQUENCE_MS + 1), null, '"q" alone is nothing');
  km.feed(key('g'), 10000);
  assert.equal(km.feed(key('j'), 10001).action, 'next', 'an unknown pair falls back to the second key');
});

test('never fires while typing in a field or with a modifier', () => {
  const km = createKeymap();
  for (const tag of ['INPUT', 'TEXTAREA', 'SELECT']) {
    assert.equal(km.feed(key('j', { target: el(tag) }), 0), null, tag);
    assert.equal(km.feed(key('/', { target: el(tag) }), 0), null, tag);
  }
  assert.equal(km.feed(key('j', { target: el('INPUT', { type: 'search' }) }), 0), null);
  assert.equal(km.feed(key('j', { target: el('INPUT', { type: 'checkbox' }) }), 0).action, 'next', 'a checkbox takes no text');
  const inEditable = el('SPAN', { parent: el('DIV', { editable: 'true' }) });
  assert.equal(isTyping(inEditable), true);
  assert.equal(km.feed(key('j', { target: inEditable }), 0), null);
  assert.equal(km.feed(key('j', { ctrlKey: true }), 0), null);
  assert.equal(km.feed(key('k', { metaKey: true }), 0), null);
  assert.equal(km.feed(key('o', { altKey: true }), 0), null);
  assert.equal(km.feed(key('j', { defaultPrevented: true }), 0), null);
  assert.equal(km.feed(key('j', { isComposing: true }), 0), null);
  // A "g" typed in a field does not arm the sequence for the next key outside it.
  km.feed(key('g', { target: el('INPUT') }), 0);
  assert.equal(km.pending(), null);
});

test('Enter opens only where Enter means nothing else', () => {
  const km = createKeymap();
  assert.equal(km.feed(key('Enter'), 0).action, 'open');
  assert.equal(km.feed(key('Enter', { target: el('A') }), 0), null);
  assert.equal(km.feed(key('Enter', { target: el('BUTTON') }), 0), null);
  assert.equal(km.feed(key('Enter', { target: el('DIV', { role: 'button' }) }), 0), null);
});

test('pages offer their list actions, and withdraw only their own', () => {
  const calls = [];
  const withdraw = offer({ next: () => calls.push('next') });
  pageHandler('next')();
  assert.deepEqual(calls, ['next']);
  assert.equal(pageHandler('open'), null);
  const withdrawSecond = offer({ open: () => calls.push('open') });
  withdraw(); // the first page's cleanup runs late: the second page's handlers stay
  assert.ok(pageHandler('open'));
  withdrawSecond();
  assert.equal(pageHandler('open'), null);
  assert.ok(listed(true).some((s) => s.action === 'next'));
  assert.ok(!listed(false).some((s) => s.action === 'next'));
});
