// The workflow on its own. Staff: the net, its places, transitions and who may fire each. A customer: how a
// ticket goes, in its own words (no net, no places or transitions).

import * as auth from '../auth.js';
import { h, mount } from '../dom.js';
import { humanize } from '../format.js';
import { renderNet } from '../net.js';
import { pageTitle } from '../ui.js';
import { CUSTOMER_STATUS } from '../words.js';

const CUSTOMER_ORDER = ['new', 'assigned', 'in_progress', 'pending_customer', 'escalated', 'resolved', 'closed'];

function customerGuide(root) {
  mount(root,
    pageTitle('How a ticket goes'),
    h('p', { class: 'muted' }, 'Every ticket shows one of these statuses. You can write to us on the ticket\'s page at any time until it is closed.'),
    h('section', { class: 'card' }, h('h2', null, 'Statuses'),
      h('dl', { class: 'status-guide' }, CUSTOMER_ORDER.map((place) => [
        h('dt', null, CUSTOMER_STATUS[place].label),
        h('dd', null, CUSTOMER_STATUS[place].next)]))));
  return null;
}

export function renderWorkflow(root, ctx, schema) {
  if (!auth.isStaff()) return customerGuide(root);
  const mine = schema.transitions.filter((t) => (t.roles || []).some((r) => auth.hasRole(r))).map((t) => t.name);
  mount(root,
    pageTitle('Workflow'),
    h('p', { class: 'muted' }, `The ${schema.name} net: a ticket is a token moving between places; a transition fires when its input place holds the token and the caller has one of its roles.`),
    h('section', { class: 'card' }, renderNet(schema, { title: `The ${schema.name} workflow` })),
    h('div', { class: 'two-col' },
      h('section', { class: 'card' }, h('h2', null, 'Places'),
        h('table', { class: 'table compact' },
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Place'), h('th', { scope: 'col' }, 'Description'), h('th', { scope: 'col' }, 'Initial'))),
          h('tbody', null, schema.places.map((p) => h('tr', null, h('th', { scope: 'row' }, humanize(p.name)), h('td', null, p.description), h('td', null, String(p.initial))))))),
      h('section', { class: 'card' }, h('h2', null, 'Transitions'),
        h('table', { class: 'table compact' },
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Transition'), h('th', { scope: 'col' }, 'From → to'), h('th', { scope: 'col' }, 'Roles'), h('th', { scope: 'col' }, 'You'))),
          h('tbody', null, schema.transitions.map((t) => h('tr', null,
            h('th', { scope: 'row' }, humanize(t.name)),
            h('td', null, `${t.inputs.map((a) => humanize(a.place)).join(', ')} → ${t.outputs.map((a) => humanize(a.place)).join(', ')}`),
            h('td', null, (t.roles || []).join(', ')),
            h('td', null, mine.includes(t.name) ? 'may fire' : '—'))))))),
    h('section', { class: 'card' }, h('h2', null, 'Roles'),
      h('ul', { class: 'plain' }, schema.roles.map((r) => h('li', null, h('strong', null, humanize(r.name)), ` — ${r.description}`,
        r.inherits.length ? h('span', { class: 'muted' }, ` (inherits ${r.inherits.join(', ')})`) : null)))));
  return null;
}
