// The ticket page: fields, conversation, one button per transition this user may fire now (each with the form
// its data schema asks for), the timeline of events, and the Petri net with the current marking.

import * as api from '../api.js';
import * as auth from '../auth.js';
import { h, mount, uid } from '../dom.js';
import { formatDate, humanize, shortId, timeAgo } from '../format.js';
import { schemaFields, showFormError } from '../forms.js';
import * as live from '../live.js';
import { renderNet } from '../net.js';
import { href } from '../router.js';
import { announce, empty, errorBox, loading, pageTitle, placeBadge, priorityBadge } from '../ui.js';

const HIDDEN_EVENT_FIELDS = new Set(['aggregate_id', 'timestamp']);
const MESSAGE_KIND = { request_info: 'asked', customer_reply: 'replied' };

export function renderTicket(root, ctx, schema) {
  const id = ctx.params.id;
  let disposed = false;
  let ticket = null;
  let events = null;
  let eventsError = null;
  let openTransition = null;
  let snapshot = null; // {version, view} when the net shows an earlier version
  const transitions = new Map(schema.transitions.map((t) => [t.name, t]));
  const backHref = auth.isStaff() ? href('/queue') : href('/tickets');

  const head = h('div', { class: 'ticket-head' });
  const actions = h('section', { class: 'card actions', 'aria-labelledby': 'actions-title' });
  const actionButtons = h('div', { class: 'action-buttons', role: 'group', 'aria-labelledby': 'actions-title' });
  const actionInfo = h('div', { class: 'action-info' });
  const panel = h('div', { class: 'action-panel', id: uid('action-panel'), hidden: true });
  const outcome = h('div', { class: 'action-outcome', role: 'status', 'aria-live': 'polite' });
  mount(actions, h('h2', { id: 'actions-title' }, 'Actions'), actionButtons, actionInfo, panel, outcome);
  const conversation = h('section', { class: 'card conversation', 'aria-labelledby': 'conv-title' });
  const details = h('section', { class: 'card details', 'aria-labelledby': 'details-title' });
  const workflow = h('section', { class: 'card workflow', 'aria-labelledby': 'wf-title' });
  const timeline = h('section', { class: 'card timeline', 'aria-labelledby': 'tl-title' });

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
      ticket = view;
      events = history.ok ? history.ok.events : events;
      eventsError = history.err || null;
      draw();
      // A live reload may overtake the first one: whichever lands first puts the page up.
      if (!mounted) mountPage();
      const told = announcedVersion;
      announcedVersion = ticket.version;
      if (told !== null && told !== ticket.version) {
        const last = events && events[events.length - 1];
        const byOther = last && last.actor && last.actor !== auth.current().sub;
        const who = byOther ? ` by ${last.actor}` : '';
        if (byOther) mount(outcome); // an earlier "done" no longer describes the ticket
        announce(`Ticket updated${who}: now ${humanize(ticket.place)}`);
      }
    } catch (err) {
      if (disposed || seq !== loadSeq) return;
      if (first || !ticket) {
        const title = err.status === 404 ? 'Ticket not found' : 'The ticket could not be loaded';
        const hint = err.status === 404 ? 'It does not exist, or it is not yours to see.' : null;
        mount(root, pageTitle(title), hint ? h('p', { class: 'muted' }, hint) : null,
          errorBox(err, err.status === 404 ? null : () => load({ first: true }), title),
          h('p', null, h('a', { href: backHref }, '← Back')));
      } else {
        announce(`Could not refresh the ticket: ${err.message}`, 'error');
      }
    }
  }

  function mountPage() {
    mounted = true;
    mount(root,
      h('p', { class: 'back' }, h('a', { href: backHref }, auth.isStaff() ? '← Queue' : '← My tickets')),
      head,
      h('div', { class: 'ticket-grid' },
        h('div', { class: 'ticket-main' }, actions, conversation),
        h('div', { class: 'ticket-side' }, details)),
      workflow,
      timeline);
    const title = document.getElementById('page-title');
    if (title) title.focus({ preventScroll: true });
  }

  // ---- drawing --------------------------------------------------------------------------------------
  function draw() {
    document.title = `${ticket.subject || 'Ticket'} · Help desk`;
    mount(head,
      h('div', { class: 'page-head' },
        h('h1', { id: 'page-title', tabindex: '-1' }, ticket.subject || '(no subject)'),
        h('div', { class: 'head-badges' }, placeBadge(ticket.place), priorityBadge(ticket.priority))),
      h('p', { class: 'muted' },
        `#${shortId(ticket.aggregate_id)} · opened by ${ticket.requester} `,
        h('time', { datetime: ticket.created_at, title: formatDate(ticket.created_at) }, timeAgo(ticket.created_at)),
        ticket.assignee ? ` · assigned to ${ticket.assignee}` : ' · unassigned'));
    drawActions();
    drawConversation();
    drawDetails();
    drawWorkflow();
    drawTimeline();
  }

  const buttonByName = new Map();
  function actionButton(name) {
    let button = buttonByName.get(name);
    if (!button) {
      button = h('button', {
        type: 'button',
        class: 'btn btn-action',
        dataset: { transition: name },
        'aria-controls': panel.id,
        title: (transitions.get(name) || {}).description || '',
        onclick: () => toggleForm(name),
      }, humanize(name));
      buttonByName.set(name, button);
    }
    button.setAttribute('aria-expanded', String(openTransition === name));
    button.classList.toggle('active', openTransition === name);
    return button;
  }

  function drawActions() {
    const available = ticket.available_transitions || [];
    // Buttons are kept across refreshes, so a live update never takes away the one under the pointer or focus.
    const shown = [...actionButtons.children].map((b) => b.dataset.transition);
    if (shown.join() !== available.join()) mount(actionButtons, available.map(actionButton));
    else available.forEach(actionButton);

    const others = (ticket.enabled_transitions || []).filter((t) => !available.includes(t));
    const parts = [];
    if (!available.length) parts.push(h('p', { class: 'muted', dataset: { testid: 'no-actions' } }, 'No action is open to you in this state.'));
    if (others.length) {
      parts.push(h('p', { class: 'muted small' }, 'Waiting for: ',
        others.map((t, i) => [i ? ', ' : '', h('strong', null, humanize(t)), ` (${((schema.permissions || {})[t] || []).join(', ') || 'anyone'})`])));
    }
    mount(actionInfo, parts);

    if (openTransition && !available.includes(openTransition)) {
      const gone = openTransition;
      closeForm();
      mount(outcome, h('p', { class: 'notice' }, `${humanize(gone)} is no longer possible: the ticket is now ${humanize(ticket.place)}.`));
    }
  }

  function toggleForm(name) {
    if (openTransition === name) closeForm();
    else openForm(name);
  }

  function closeForm() {
    openTransition = null;
    panel.hidden = true;
    panel.replaceChildren();
    for (const b of actionButtons.querySelectorAll('button')) {
      b.setAttribute('aria-expanded', 'false');
      b.classList.remove('active');
    }
  }

  function openForm(name) {
    const t = transitions.get(name);
    openTransition = name;
    mount(outcome);
    for (const b of actionButtons.querySelectorAll('button')) {
      const on = b.dataset.transition === name;
      b.setAttribute('aria-expanded', String(on));
      b.classList.toggle('active', on);
    }
    const { fields, read } = schemaFields(t && t.data_schema, {
      placeholders: { assignee: auth.current().sub },
    });
    const errorArea = h('div', { class: 'form-error', role: 'alert', tabindex: '-1', hidden: true });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, humanize(name));
    const headingId = uid('form-title');
    const form = h('form', { class: 'stack', novalidate: true, dataset: { transition: name }, 'aria-labelledby': headingId },
      h('h3', { id: headingId }, humanize(name), t && t.description ? h('span', { class: 'muted small' }, ` — ${t.description}`) : null),
      fields.length ? fields : h('p', { class: 'muted' }, 'This action needs no details.'),
      errorArea,
      h('div', { class: 'actions-row' }, submit, h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => {
        closeForm();
        const b = actionButtons.querySelector(`[data-transition="${name}"]`);
        if (b) b.focus();
      } }, 'Cancel')));
    let key = api.newIdempotencyKey();
    form.addEventListener('input', () => {
      key = api.newIdempotencyKey();
    });
    form.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') closeForm();
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      showFormError(form, errorArea, null);
      submit.disabled = true;
      submit.textContent = 'Sending…';
      try {
        const answer = await api.fireTransition(name, id, read(form), ticket.version, key);
        if (disposed) return;
        closeForm();
        mount(outcome, h('p', { class: 'success' }, `${humanize(name)}: done. The ticket is now ${humanize(answer.place)}.`));
        announce(`${humanize(name)}: done`, 'success');
        await load();
        const first = actionButtons.querySelector('button');
        (first || document.getElementById('actions-title')).focus?.();
      } catch (err) {
        if (disposed) return;
        showFormError(form, errorArea, err);
        submit.disabled = false;
        submit.textContent = humanize(name);
        if (err.status === 409) load();
      }
    });
    mount(panel, form);
    panel.hidden = false;
    const firstField = form.querySelector('input, textarea, select');
    (firstField || submit).focus();
  }

  function drawConversation() {
    const items = [
      { author: ticket.requester, kind: 'opened', body: ticket.description || '(no description)', at: ticket.created_at },
      ...(ticket.messages || []),
    ];
    mount(conversation, h('h2', { id: 'conv-title' }, 'Conversation'),
      h('ol', { class: 'messages' }, items.map((m) => {
        const fromRequester = m.author === ticket.requester;
        return h('li', { class: ['message', fromRequester ? 'from-requester' : 'from-staff'], dataset: { kind: m.kind } },
          h('div', { class: 'message-meta' }, h('strong', null, m.author || 'unknown'), ` ${MESSAGE_KIND[m.kind] || m.kind} · `,
            h('time', { datetime: m.at, title: formatDate(m.at) }, timeAgo(m.at))),
          h('p', { class: 'message-body' }, m.body));
      })));
  }

  function drawDetails() {
    const rows = [
      ['Place', placeBadge(ticket.place)],
      ['Priority', priorityBadge(ticket.priority)],
      ['Requester', ticket.requester || '—'],
      ['Assignee', ticket.assignee || 'unassigned'],
      ['Created', formatDate(ticket.created_at)],
      ['Updated', formatDate(ticket.updated_at)],
      ['Resolved', ticket.resolved_at ? formatDate(ticket.resolved_at) : '—'],
      ['Closed', ticket.closed_at ? formatDate(ticket.closed_at) : '—'],
      ['Reopened', `${ticket.reopen_count || 0} time${ticket.reopen_count === 1 ? '' : 's'}`],
      ['Version', String(ticket.version)],
    ];
    mount(details, h('h2', { id: 'details-title' }, 'Details'),
      h('dl', { class: 'fields' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', { dataset: { field: k.toLowerCase() } }, v)])));
  }

  function drawWorkflow() {
    const view = snapshot ? snapshot.view : ticket;
    const current = !snapshot;
    const net = renderNet(schema, {
      state: view.state,
      enabled: view.enabled_transitions || [],
      available: current ? ticket.available_transitions || [] : [],
      onFire: current ? (name) => { openForm(name); panel.scrollIntoView({ block: 'nearest' }); } : null,
      title: current ? `Workflow of this ticket, now in ${humanize(ticket.place)}` : `Workflow at version ${snapshot.version}`,
    });
    mount(workflow, h('h2', { id: 'wf-title' }, 'Workflow'),
      snapshot
        ? h('p', { class: 'notice' }, `Showing the ticket as it was at version ${snapshot.version} (${humanize(view.place)}). `,
          h('button', { type: 'button', class: 'btn btn-small', onclick: () => { snapshot = null; drawWorkflow(); } }, 'Back to now'))
        : h('p', { class: 'muted small' }, 'The token marks where the ticket is; highlighted transitions can fire now.'),
      net);
  }

  async function showVersion(version) {
    try {
      const view = await api.getTicketAt(id, version);
      if (disposed) return;
      snapshot = version === ticket.version ? null : { version, view };
      drawWorkflow();
      workflow.scrollIntoView({ block: 'nearest' });
    } catch (err) {
      announce(`Version ${version} could not be loaded: ${err.message}`, 'error');
    }
  }

  function describeEvent(e) {
    if (!e.transition) return e.type === schema.creation_event ? 'opened the ticket' : e.type;
    return h('span', null, 'fired ', h('strong', { class: 'event-transition' }, humanize(e.transition)));
  }

  function drawTimeline() {
    let body;
    if (eventsError && !events) {
      body = eventsError.status === 403 || eventsError.status === 404
        ? h('p', { class: 'muted' }, 'The history of this ticket is not available to you.')
        : errorBox(eventsError, () => load(), 'The history could not be loaded');
    } else if (!events || !events.length) {
      body = empty('No events yet.');
    } else {
      body = h('ol', { class: 'events' }, events.map((e) => {
        const data = Object.entries(e.data || {}).filter(([k, v]) => !HIDDEN_EVENT_FIELDS.has(k) && v !== null && v !== '');
        const t = e.transition ? transitions.get(e.transition) : null;
        const target = t && t.outputs && t.outputs[0] ? t.outputs[0].place : (e.type === schema.creation_event ? 'new' : null);
        return h('li', { class: 'event', dataset: { version: e.version, type: e.type } },
          h('span', { class: ['event-dot', target && `place-${target}`], 'aria-hidden': 'true' }),
          h('div', { class: 'event-body' },
            h('p', { class: 'event-title' }, h('strong', null, e.actor || 'system'),
              e.roles && e.roles.length ? h('span', { class: 'muted small' }, ` (${e.roles.join(', ')})`) : null,
              ' ', describeEvent(e),
              target ? [' → ', placeBadge(target)] : null),
            h('p', { class: 'muted small' },
              h('time', { datetime: e.timestamp, title: formatDate(e.timestamp) }, formatDate(e.timestamp)),
              ` · v${e.version} · ${e.type} · `,
              h('button', { type: 'button', class: 'link-button', onclick: () => showVersion(e.version), 'aria-label': `Show the workflow at version ${e.version}` }, 'show on workflow')),
            data.length ? h('dl', { class: 'event-data' }, data.map(([k, v]) => [h('dt', null, humanize(k)),
              h('dd', null, typeof v === 'string' ? v : JSON.stringify(v))])) : null));
      }));
    }
    mount(timeline, h('h2', { id: 'tl-title' }, 'Timeline'), body);
  }

  // ---- live -----------------------------------------------------------------------------------------
  let liveTimer = null;
  const unsubscribe = live.subscribe((view) => {
    if (view && view.aggregate_id !== id) return;
    if (view && ticket && view.version > ticket.version) {
      // The stream carries this viewer's own view of the ticket (fields, place, the actions it may fire now):
      // show it at once; the timeline follows with the read below.
      ticket = view;
      draw();
    }
    clearTimeout(liveTimer);
    liveTimer = setTimeout(() => load(), 20);
  });

  mount(root, pageTitle('Ticket'), loading('Loading the ticket…'));
  load({ first: true });
  return () => {
    disposed = true;
    clearTimeout(liveTimer);
    unsubscribe();
  };
}
