// The ticket page: heading and status, actions, conversation with the reply box, details, and for staff the net
// and the technical timeline (a customer reads a plain history instead). Live changes by others redraw it at
// once from the stream's view of the ticket; what someone is typing is never taken away.

import * as api from '../api.js';
import * as auth from '../auth.js';
import { openDrafts } from '../drafts.js';
import { h, mount } from '../dom.js';
import { personalPlain } from '../erased.js';
import * as live from '../live.js';
import { markSeen } from '../unread.js';
import { href } from '../router.js';
import { announce, errorBox, loading, pageTitle } from '../ui.js';
import { statusLabel } from '../words.js';
import { createActions } from './actions.js';
import { createConversation } from './conversation.js';
import { drawDetails, drawHeader } from './header.js';
import { drawNetPanel } from './netpanel.js';
import { drawServiceLevel } from '../sla/panel.js';
import { drawTimeline } from './timeline.js';

export function renderTicket(root, ctx, schema) {
  const id = ctx.params.id;
  const staff = auth.isStaff();
  const me = auth.current().sub;
  const drafts = openDrafts(me);
  let disposed = false;
  let ticket = null;
  let events = null;
  let eventsError = null;
  let snapshot = null; // {version, view} when the net shows an earlier version
  const backHref = staff ? href('/queue') : href('/tickets');

  const head = h('div', { class: 'ticket-head' });
  const details = h('section', { class: 'card details', 'aria-labelledby': 'details-title' });
  const service = staff ? h('section', { class: 'card sla-card', 'aria-labelledby': 'sla-title', dataset: { testid: 'sla-panel' } }) : null;
  const workflow = staff ? h('section', { class: 'card workflow', 'aria-labelledby': 'wf-title' }) : null;
  const timeline = h('section', { class: ['card', staff ? 'timeline' : 'history'], 'aria-labelledby': 'tl-title' });
  const actions = createActions({ id, schema, staff, me, drafts, onDone: () => load() });
  const conversation = createConversation({
    id, staff, me, drafts,
    onSent: async (answer, message) => {
      if (message) mount(actions.outcome, h('p', { class: 'success' }, message));
      await load();
    },
    openAction: (name) => actions.open(name),
  });

  // ---- loading --------------------------------------------------------------------------------------
  let loadSeq = 0;
  let announcedVersion = null; // the version the last announcement (or the first load) described
  let mounted = false;
  async function load({ first = false } = {}) {
    const seq = ++loadSeq;
    try {
      const [view, history] = await Promise.all([
        api.getTicket(id),
        api.getEvents(id).then((r) => ({ ok: r }), (err) => ({ err })),
      ]);
      if (disposed || seq !== loadSeq) return;
      if (!first && ticket && view.version < ticket.version) return; // a live view newer than this read is shown
      events = history.ok ? history.ok.events : events;
      eventsError = history.err || null;
      const last = events && events[events.length - 1];
      const by = last && last.actor && last.actor !== me ? last.actor : null;
      show(view, { by });
      if (!mounted) mountPage();
      const told = announcedVersion;
      announcedVersion = ticket.version;
      if (told !== null && told !== ticket.version && by) {
        mount(actions.outcome); // an earlier "done" no longer describes the ticket
        announce(staff ? `Ticket updated by ${by}: now ${statusLabel(ticket.place, true)}` : `Ticket updated: ${statusLabel(ticket.place, false)}`);
      }
    } catch (err) {
      if (disposed || seq !== loadSeq) return;
      if (first || !ticket) {
        const missing = err.status === 404 || err.status === 403;
        const title = missing ? 'Ticket not found' : 'The ticket could not be loaded';
        mount(root, pageTitle(title),
          missing
            ? h('p', { class: 'muted' }, 'This ticket does not exist, or it is not yours to see. Check the link, or find it in your list.')
            : errorBox(err, () => load({ first: true }), title),
          h('p', null, h('a', { href: backHref }, staff ? '← Queue' : '← My tickets')));
      } else {
        announce('The ticket could not be refreshed; it will be when the connection is back.', 'error');
      }
    }
  }

  function mountPage() {
    mounted = true;
    mount(root,
      h('p', { class: 'back' }, h('a', { href: backHref }, staff ? '← Queue' : '← My tickets')),
      head,
      h('div', { class: 'ticket-grid' },
        h('div', { class: 'ticket-main' }, staff ? [actions.element, conversation.element] : [conversation.element, actions.element]),
        h('div', { class: 'ticket-side' }, details, service)),
      workflow,
      timeline);
    const title = document.getElementById('page-title');
    if (title) title.focus({ preventScroll: true });
  }

  // ---- drawing --------------------------------------------------------------------------------------
  function show(view, { by } = {}) {
    ticket = view;
    if (staff) markSeen(ticket.aggregate_id, ticket.version); // shown to this agent: read (the queue's markers)
    document.title = `${personalPlain(ticket.subject, 'Ticket')} · Help desk`;
    const focused = document.activeElement;
    drawHeader(head, ticket, { staff, me });
    actions.update(ticket, { by });
    conversation.update(ticket);
    drawDetails(details, ticket, { staff });
    if (service) drawServiceLevel(service, ticket);
    if (workflow) drawWorkflow();
    drawTimeline(timeline, {
      events, error: eventsError, staff, me, ticket, schema, onShowVersion: showVersion, onRetry: () => load(),
    });
    // The heading is redrawn: keep focus where it was when it sat on it.
    if (focused && focused.id === 'page-title' && !focused.isConnected) document.getElementById('page-title')?.focus({ preventScroll: true });
  }

  function drawWorkflow() {
    drawNetPanel(workflow, {
      schema, ticket, snapshot,
      onFire: (name) => {
        actions.open(name);
        actions.element.scrollIntoView({ block: 'nearest' });
      },
      onBack: () => {
        snapshot = null;
        drawWorkflow();
      },
    });
  }

  async function showVersion(version) {
    try {
      const view = await api.getTicketAt(id, version);
      if (disposed) return;
      snapshot = version === ticket.version ? null : { version, view };
      drawWorkflow();
      workflow.scrollIntoView({ block: 'nearest' });
    } catch (err) {
      announce(`Version ${version} could not be loaded.`, 'error');
    }
  }

  // ---- live -----------------------------------------------------------------------------------------
  const stopLive = live.reloadOnChange(() => load(), {
    pauseMs: 20,
    concerns: (view) => {
      if (view && view.aggregate_id !== id) return false;
      if (view && ticket && view.version > ticket.version) {
        // The stream carries this viewer's own view of the ticket (fields, place, the actions it may fire now):
        // show it at once; the timeline follows with the read below.
        show(view, { by: view.actor && view.actor !== me ? view.actor : null });
      }
      return true;
    },
  });

  mount(root, pageTitle('Ticket'), loading('Loading the ticket…'));
  load({ first: true });
  return () => {
    disposed = true;
    stopLive();
  };
}
