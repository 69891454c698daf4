// The Petri net with the ticket's marking, for staff: the token marks the place, highlighted transitions can fire
// now (clicking one opens its form); a version from the timeline shows the net as it was then.

import { h, mount } from '../dom.js';
import { humanize } from '../format.js';
import { renderNet } from '../net.js';

export function drawNetPanel(section, { schema, ticket, snapshot, onFire, onBack }) {
  const view = snapshot ? snapshot.view : ticket;
  const current = !snapshot;
  const net = renderNet(schema, {
    state: view.state,
    enabled: view.enabled_transitions || [],
    available: current ? ticket.available_transitions || [] : [],
    onFire: current ? onFire : null,
    title: current ? `Workflow of this ticket, now in ${humanize(ticket.place)}` : `Workflow at version ${snapshot.version}`,
  });
  mount(section, h('h2', { id: 'wf-title' }, 'Workflow'),
    snapshot
      ? h('p', { class: 'notice' }, `Showing the ticket as it was at version ${snapshot.version} (${humanize(view.place)}). `,
        h('button', { type: 'button', class: 'btn btn-small', onclick: onBack }, 'Back to now'))
      : h('p', { class: 'muted small' }, 'The token marks where the ticket is; highlighted transitions can fire now.'),
    net);
}
