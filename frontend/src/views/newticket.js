// Open a ticket: the form comes from the schema's create_schema (subject, description, priority, ...).

import * as api from '../api.js';
import * as auth from '../auth.js';
import { h, mount } from '../dom.js';
import { schemaFields, showFormError } from '../forms.js';
import { href, navigate } from '../router.js';
import { announce, errorBox, loading, pageTitle } from '../ui.js';

export function renderNewTicket(root) {
  let disposed = false;
  mount(root, pageTitle('Open a ticket'), loading('Preparing the form…'));

  function build(schema) {
    const staff = auth.isStaff();
    // A customer always files for itself; only staff may name another requester.
    const { fields, read } = schemaFields(schema.create_schema, {
      omit: staff ? [] : ['requester'],
      placeholders: { subject: 'e.g. I cannot sign in since this morning' },
    });
    const errorArea = h('div', { class: 'form-error', role: 'alert', tabindex: '-1', hidden: true });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Open ticket');
    const form = h('form', { class: 'card stack form-narrow', id: 'new-ticket', novalidate: true }, fields, errorArea,
      h('div', { class: 'actions-row' }, submit, h('a', { class: 'btn btn-ghost', href: href(staff ? '/queue' : '/tickets') }, 'Cancel')));
    const subject = form.elements.namedItem('subject');
    if (subject) subject.required = true;
    let key = api.newIdempotencyKey();
    form.addEventListener('input', () => {
      key = api.newIdempotencyKey(); // a changed form is a new request
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      showFormError(form, errorArea, null);
      if (subject && !subject.value.trim()) {
        showFormError(form, errorArea, { message: 'Please give the ticket a subject.', field: 'subject' });
        return;
      }
      submit.disabled = true;
      submit.textContent = 'Opening…';
      try {
        const answer = await api.createTicket(read(form), key);
        if (disposed) return;
        announce('Ticket opened', 'success');
        navigate(`/ticket/${answer.aggregate_id}`);
      } catch (err) {
        if (disposed) return;
        showFormError(form, errorArea, err);
        submit.disabled = false;
        submit.textContent = 'Open ticket';
      }
    });
    mount(root, pageTitle('Open a ticket'),
      h('p', { class: 'muted' }, 'Tell us what happened. You can follow the ticket and answer our questions on its page.'), form);
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
