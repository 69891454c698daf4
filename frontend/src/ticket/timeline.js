// The history of a ticket. Staff read the technical timeline (who fired which transition, with its data and
// version, each a link to the net as it was); a customer reads a plain history in its own words.

import { h, mount } from '../dom.js';
import { personalText } from '../erased.js';
import { humanize } from '../format.js';
import { empty, errorBox, placeBadge, timeEl } from '../ui.js';
import { customerHistoryLine, staffEventLabel } from '../words.js';

const HIDDEN_EVENT_FIELDS = new Set(['aggregate_id', 'timestamp']);

export function drawTimeline(section, { events, error, staff, me, ticket, schema, onShowVersion, onRetry }) {
  const title = staff ? 'Timeline' : 'History';
  let body;
  if (error && !events) {
    body = error.status === 403 || error.status === 404
      ? h('p', { class: 'muted' }, 'The history of this ticket is not available to you.')
      : errorBox(error, onRetry, 'The history could not be loaded');
  } else if (!events) {
    body = h('p', { class: 'muted' }, 'Loading the history…');
  } else if (!staff) {
    const lines = events.map((e) => ({ e, text: customerHistoryLine(e, me, ticket.requester) })).filter((x) => x.text);
    body = lines.length
      ? h('ol', { class: 'history' }, lines.map(({ e, text }) => h('li', { class: 'history-item' },
        h('span', null, text), h('span', { class: 'muted small' }, ' · ', timeEl(e.timestamp)))))
      : empty('Nothing has happened yet.');
  } else if (!events.length) {
    body = empty('No events yet.');
  } else {
    const transitions = new Map(schema.transitions.map((t) => [t.name, t]));
    body = h('ol', { class: 'events' }, events.map((e) => {
      const data = Object.entries(e.data || {}).filter(([k, v]) => !HIDDEN_EVENT_FIELDS.has(k) && v !== null && v !== '');
      const t = e.transition ? transitions.get(e.transition) : null;
      const target = t && t.outputs && t.outputs[0] ? t.outputs[0].place : (e.type === schema.creation_event ? 'new' : null);
      const note = e.type === 'InternalNoteAdded';
      return h('li', { class: ['event', note && 'event-note'], dataset: { version: e.version, type: e.type } },
        h('span', { class: ['event-dot', target && `place-${target}`], 'aria-hidden': 'true' }),
        h('div', { class: 'event-body' },
          h('p', { class: 'event-title' }, h('strong', null, e.actor || 'system'),
            e.roles && e.roles.length ? h('span', { class: 'muted small' }, ` (${e.roles.join(', ')})`) : null,
            ' · ', h('strong', { class: 'event-transition' }, staffEventLabel(e)),
            target ? [' → ', placeBadge(target, { staff: true })] : null),
          h('p', { class: 'muted small' },
            timeEl(e.timestamp, { relative: false }),
            ` · version ${e.version} · `,
            h('button', { type: 'button', class: 'link-button', onclick: () => onShowVersion(e.version), 'aria-label': `show on workflow: version ${e.version}` }, 'show on workflow')),
          data.length ? h('dl', { class: 'event-data' }, data.map(([k, v]) => [h('dt', null, humanize(k)),
            h('dd', null, typeof v === 'string' ? personalText(v) : JSON.stringify(v))])) : null));
    }));
  }
  mount(section, h('h2', { id: 'tl-title' }, title), body);
}
