// The ways out for a projection: Retry (after the cause of a halt is fixed), Skip this event (with a reason) and
// Rebuild (after a confirmation). Each sends once, says the answer or the refusal in plain language in the
// projection's outcome box, and has the page fetch the state again.

import { adminAction } from '../api.js';
import { h, mount } from '../dom.js';
import { formErrorArea } from '../ui.js';
import { modalButtons, openModal } from './modal.js';
import { actionErrorText, retryOutcome } from './model.js';
import { openSkipDialog } from './skip-dialog.js';

/** Show `text` in a projection's outcome box ('success' or 'error'); `null` empties it. */
export function sayOutcome(box, text, kind = 'success') {
  if (!text) {
    mount(box);
    return;
  }
  mount(box, h('p', { class: kind === 'error' ? 'form-error' : 'success', dataset: { testid: `outcome-${kind}` } }, text));
}

function confirmRebuild(p, { refresh, say }) {
  openModal({
    title: `Rebuild the projection “${p.name}”?`,
    className: 'rebuild-dialog',
    returnTo: () => document.querySelector(`[data-focus-key="rebuild-${p.name}"]`),
    content(close) {
      const errors = formErrorArea();
      const submit = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { testid: 'rebuild-confirm' } }, 'Rebuild');
      const form = h('form', { class: 'stack' },
        h('p', null, 'Its read model is built again from every event in the store, then swapped in. Reads go on from the current tables meanwhile; skipped events stay skipped.'),
        h('p', { class: 'muted small' }, 'On a large store this takes a while: the progress is shown on this page.'),
        errors,
        modalButtons(submit, close));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        if (submit.disabled) return;
        submit.disabled = true;
        try {
          await adminAction(p.name, 'rebuild');
          close();
          say('Rebuild started: the bar above shows its progress.');
          refresh();
        } catch (err) {
          const { text, refresh: stale } = actionErrorText(err);
          if (stale) {
            close();
            say(text, 'error');
            refresh();
          } else {
            errors.hidden = false;
            mount(errors, h('p', { class: 'error-message' }, text));
          }
        } finally {
          submit.disabled = false;
        }
      });
      return form;
    },
  });
}

async function retry(p, button, { refresh, say }) {
  button.disabled = true;
  button.textContent = 'Retrying…';
  try {
    const { text, kind } = retryOutcome(await adminAction(p.name, 'retry'), p.halt.position);
    say(text, kind);
  } catch (err) {
    say(actionErrorText(err).text, 'error');
  } finally {
    button.disabled = false;
    button.textContent = 'Retry';
    refresh();
  }
}

function skip(p, { refresh, say }) {
  const position = p.halt.position;
  openSkipDialog({
    projection: p.name,
    halt: p.halt,
    returnTo: () => document.querySelector(`[data-focus-key="skip-${p.name}"]`) || document.getElementById(`projection-${p.name}`),
    send: (body) => adminAction(p.name, 'skip', body),
    sent: () => {
      say(`The event at position ${position} was skipped: the projection goes on after it.`);
      refresh();
    },
    refused: (err) => {
      const outcome = actionErrorText(err);
      if (outcome.refresh) {
        say(outcome.text, 'error');
        refresh();
      }
      return outcome;
    },
  });
}

/** The buttons of projection `p`; `say(text, kind)` writes its outcome box, `refresh()` polls at once. */
export function projectionActions(p, handlers) {
  const buttons = [];
  if (p.halt) {
    const retryButton = h('button', {
      type: 'button', class: 'btn btn-primary', dataset: { focusKey: `retry-${p.name}`, testid: 'retry' },
      'aria-describedby': `retry-hint-${p.name}`, onclick: () => retry(p, retryButton, handlers),
    }, 'Retry');
    buttons.push(retryButton,
      h('button', {
        type: 'button', class: 'btn btn-danger-outline', dataset: { focusKey: `skip-${p.name}`, testid: 'skip' },
        'aria-haspopup': 'dialog', onclick: () => skip(p, handlers),
      }, 'Skip this event…'));
  }
  buttons.push(h('button', {
    type: 'button', class: 'btn', dataset: { focusKey: `rebuild-${p.name}`, testid: 'rebuild' }, 'aria-haspopup': 'dialog',
    disabled: p.rebuilding, title: p.rebuilding ? 'A rebuild is running' : null, onclick: () => confirmRebuild(p, handlers),
  }, 'Rebuild…'));
  return [
    h('div', { class: 'actions-row' }, buttons),
    p.halt ? h('p', { class: 'hint', id: `retry-hint-${p.name}` },
      'Retry once the cause is fixed: the projection tries the failing event again. Skip it only if the read model can do without it.') : null,
  ];
}
