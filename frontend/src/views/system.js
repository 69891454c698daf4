// System (the admin role): the relay, the consumer group, the service-level timer and each projection, live (GET /api/admin/system every
// 2 s while the page is on screen and the tab visible), with the ways out of a halt and a rebuild's progress.
// Each part is drawn again only when what it shows changed, so focus and open details stay where they are;
// state changes (not every poll) are announced.

import { getSystem } from '../api.js';
import * as auth from '../auth.js';
import { h, mount } from '../dom.js';
import * as router from '../router.js';
import { errorBox, loading, pageTitle } from '../ui.js';
import { projectionActions, sayOutcome } from '../system/actions.js';
import { changes, pollErrorText, systemModel } from '../system/model.js';
import {
  groupPanel, haltPanel, projectionFigures, projectionHead, relayPanel, skippedTable, timerPanel, timerRound,
} from '../system/panels.js';
import { createPoller } from '../system/poller.js';

export const POLL_MS = 2000;
const CLOCK = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

function notAvailable(root) {
  mount(root, pageTitle('Not available'),
    h('p', { dataset: { testid: 'not-available' } }, 'This page is not available to you: the System page is for administrators.'),
    h('p', null, h('a', { href: router.href('/') }, 'Go to the start page')));
  return null;
}

/**
 * Draw `build()` into `box` when `signature` differs from the last one drawn. Focus inside the box goes back to
 * the element with the same data-focus-key (or to `fallback` when it is gone); open <details> stay open.
 */
function patch(box, signature, build, fallback = null) {
  if (box.dataset.signature === signature) return;
  box.dataset.signature = signature;
  const active = document.activeElement;
  const hadFocus = active && box.contains(active) && active !== box;
  const key = hadFocus && active.dataset ? active.dataset.focusKey : null;
  const open = [...box.querySelectorAll('details[open][data-testid]')].map((d) => d.dataset.testid);
  mount(box, build());
  for (const d of box.querySelectorAll('details[data-testid]')) if (open.includes(d.dataset.testid)) d.open = true;
  if (!hadFocus) return;
  const again = key ? box.querySelector(`[data-focus-key="${key}"]`) : null;
  const target = again && !again.disabled ? again : fallback;
  if (target) target.focus();
}

export function renderSystem(root) {
  if (!auth.hasRole('admin')) return notAvailable(root);

  const announcer = h('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite', dataset: { testid: 'system-announcer' } });
  const updated = h('p', { class: 'updated', dataset: { testid: 'system-updated' } }, 'Loading…');
  const relayBox = h('div');
  const groupBox = h('div');
  const overview = h('div', { class: 'two-col' },
    h('section', { class: 'card', 'aria-labelledby': 'relay-title' }, h('h2', { id: 'relay-title' }, 'Relay'), relayBox),
    h('section', { class: 'card', 'aria-labelledby': 'group-title' }, h('h2', { id: 'group-title' }, 'Consumer group'), groupBox));
  const timerBox = h('div');
  const roundBox = h('div');
  const timer = h('section', { class: 'card', 'aria-labelledby': 'timer-title', dataset: { testid: 'sla-timer' } },
    h('h2', { id: 'timer-title' }, 'Service-level timer'), timerBox, roundBox);
  const list = h('div', { class: 'projections' });
  const body = h('div', { class: 'system-body', hidden: true }, overview, timer, list);
  const first = h('div', null, loading('Loading the state of the system…'));
  const cards = new Map(); // projection name -> its parts
  let model = null;
  let lastAt = null;
  let failing = false;

  function announce(sentences) {
    if (!sentences.length) return;
    // Emptied first, so that the same sentence said again is announced again.
    announcer.textContent = '';
    setTimeout(() => {
      announcer.textContent = sentences.join(' ');
    }, 50);
  }

  function card(name) {
    let c = cards.get(name);
    if (c) return c;
    const titleId = `projection-${name}`;
    c = {
      head: h('div'), figures: h('div'), halt: h('div'), actions: h('div'),
      outcome: h('div', { class: 'outcome', role: 'status', 'aria-live': 'polite', dataset: { testid: 'outcome' } }),
      skipped: h('div'),
    };
    c.section = h('section', { class: 'card projection', 'aria-labelledby': titleId, dataset: { projection: name } },
      c.head, c.figures, c.halt, c.actions, c.outcome, c.skipped);
    cards.set(name, c);
    return c;
  }

  function drawProjection(p) {
    const c = card(p.name);
    const titleId = `projection-${p.name}`;
    c.section.dataset.status = p.status;
    patch(c.head, p.status, () => projectionHead(p, titleId));
    patch(c.figures, JSON.stringify([p.checkpoint, p.behind, p.rebuild]), () => projectionFigures(p));
    patch(c.halt, JSON.stringify(p.halt), () => (p.halt ? haltPanel(p.halt) : null));
    const handlers = {
      refresh: () => poller.refresh(),
      say: (text, kind) => sayOutcome(c.outcome, text, kind),
    };
    const fallback = c.head.querySelector('h2');
    patch(c.actions, JSON.stringify([p.status, p.halt && p.halt.position, p.rebuilding]), () => projectionActions(p, handlers), fallback);
    patch(c.skipped, JSON.stringify(p.skipped), () => skippedTable(p.name, p.skipped));
    return c.section;
  }

  function drawUpdated() {
    const at = lastAt ? CLOCK.format(lastAt) : null;
    updated.classList.toggle('is-stale', failing);
    body.classList.toggle('is-stale', failing);
    updated.dataset.stale = String(failing);
  }

  function onData(body_) {
    const next = systemModel(body_);
    announce(changes(model, next));
    if (failing) announce(['The state is up to date again.']);
    failing = false;
    model = next;
    lastAt = next.generatedAt ? new Date(next.generatedAt) : new Date();
    if (Number.isNaN(lastAt.getTime())) lastAt = new Date();
    mount(first);
    body.hidden = false;
    patch(relayBox, JSON.stringify([next.relay, next.storePosition]), () => relayPanel(next.relay, next.storePosition));
    patch(groupBox, JSON.stringify(next.group), () => groupPanel(next.group));
    const { lastRoundAt, ...timerShown } = next.timer || {};
    patch(timerBox, JSON.stringify(timerShown), () => timerPanel(next.timer));
    patch(roundBox, String(lastRoundAt || ''), () => timerRound(next.timer));
    const sections = next.projections.map(drawProjection);
    for (const [name, c] of cards) {
      if (next.projections.some((p) => p.name === name)) continue;
      cards.delete(name);
      c.section.remove();
    }
    if (!sections.length) mount(list, h('p', { class: 'muted' }, 'No projection reports to this service.'));
    else if (!list.querySelector('section')) mount(list);
    sections.forEach((s, i) => {
      if (list.children[i] !== s) list.insertBefore(s, list.children[i] || null);
    });
    drawUpdated();
    mount(updated, h('span', { class: 'live-dot', 'aria-hidden': 'true' }), 'Live: updated ',
      h('time', { datetime: lastAt.toISOString() }, CLOCK.format(lastAt)), ', every 2 seconds while this page is open.');
  }

  function onError(err) {
    const why = pollErrorText(err);
    if (!model) {
      mount(first, errorBox(err, () => poller.refresh(), 'The state of the system could not be loaded'));
    }
    if (!failing) announce([`The state is no longer being updated: ${why}`]);
    failing = true;
    drawUpdated();
    mount(updated, h('strong', null, h('span', { 'aria-hidden': 'true' }, '! '), 'Stale: '),
      lastAt ? ['not updated since ', h('time', { datetime: lastAt.toISOString() }, CLOCK.format(lastAt)), '. '] : 'not loaded yet. ',
      `${why} Trying again every 2 seconds.`);
  }

  const poller = createPoller({
    load: (signal) => getSystem({ signal }), onData, onError, intervalMs: POLL_MS, visibility: document,
  });

  mount(root,
    pageTitle('System'),
    h('p', { class: 'muted' }, 'The relay, the consumer group, the service-level timer and the projections that build the read models, as they are now.'),
    updated, announcer, first, body);
  poller.start();
  return () => {
    poller.stop();
    for (const dialog of document.querySelectorAll('dialog.modal[open]')) dialog.close(); // the page is gone
  };
}
