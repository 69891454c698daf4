// Open a ticket: the form comes from the schema's create_schema (subject, description, priority, ...). What is
// typed is kept as a draft until the ticket is opened; Ctrl+Enter sends; limits are counted as you type.

import * as api from '../api.js';
import * as auth from '../auth.js';
import { h, mount } from '../dom.js';
import { openDrafts } from '../drafts.js';
import { schemaFields } from '../forms.js';
import { href, navigate } from '../router.js';
import { sendingForm } from '../sending.js';
import { announce, errorBox, formErrorArea, loading, pageTitle } from '../ui.js';

const CUSTOMER_WORDS = {
  subject: { label: 'Subject', hint: 'One line: what does not work?' },
  description: { label: 'What happened?', hint: 'What you did, what you expected and what happened instead.' },
  priority: { label: 'How urgent is it?', hint: '' },
};

export function renderNewTicket(root) {
  let disposed = false;
  mount(root, pageTitle('Open a ticket'), loading('Preparing the form…'));

  function build(schema) {
    const staff = auth.isStaff();
    const drafts = openDrafts(auth.current().sub);
    // A customer always files for itself; only staff may name another requester.
    const { fields, read } = schemaFields(schema.create_schema, {
      omit: staff ? [] : ['requester'],
      placeholders: { subject: 'e.g. I cannot sign in since this morning' },
      words: staff ? null : (name) => CUSTOMER_WORDS[name] || null,
    });
    const errorArea = formErrorArea();
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Open ticket');
    const form = h('form', { class: 'card stack form-narrow', id: 'new-ticket', novalidate: true }, fields, errorArea,
      h('div', { class: 'actions-row' }, submit, h('a', { class: 'btn btn-ghost', href: href(staff ? '/queue' : '/tickets') }, 'Cancel'),
        h('span', { class: 'muted small' }, 'Ctrl+Enter sends · your text is kept until you send it')));
    const subject = form.elements.namedItem('subject');
    if (subject) subject.required = true;
    sendingForm(form, {
      submit, errorArea, staff, drafts, scope: 'new', busyLabel: 'Opening…',
      checks: [() => (subject && !subject.value.trim()
        ? { message: 'Please give the ticket a subject.', control: subject, mark: true } : null)],
      send: (key) => api.createTicket(read(form), key),
      sent: (answer) => {
        if (disposed) return;
        announce('Ticket opened', 'success');
        navigate(`/ticket/${answer.aggregate_id}`);
      },
      isOpen: () => !disposed,
    });
    mount(root, pageTitle('Open a ticket'),
      h('p', { class: 'muted' }, staff
        ? 'File a ticket on behalf of a customer.'
        : 'Tell us what happened. You can follow the ticket and write to us on its page.'), form);
    if (subject) subject.focus();
  }

  api.getSchema().then((schema) => {
    if (!disposed) build(schema);
  }).catch((err) => {
    if (!disposed) mount(root, pageTitle('Open a ticket'), errorBox(err, () => renderNewTicket(root), 'The form could not be loaded'));
  });
  return () => {
    disposed = true;
  };
}
