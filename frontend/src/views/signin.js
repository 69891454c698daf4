// Sign in: in debug mode pick a user name and role (POST /api/debug/token); otherwise paste a token.

import * as api from '../api.js';
import * as auth from '../auth.js';
import { h, mount } from '../dom.js';
import { humanize } from '../format.js';
import { formErrorArea, pageTitle } from '../ui.js';

const DEBUG_OFF_KEY = 'helpdesk.debugTokenUnavailable';
// Shown only until /api/schema answers; the schema's role list (with descriptions) replaces it.
const FALLBACK_ROLES = ['customer', 'agent', 'supervisor', 'admin'].map((name) => ({ name, inherits: [], description: '' }));

function roleOption(role) {
  const inherits = role.inherits && role.inherits.length ? ` (inherits ${role.inherits.join(', ')})` : '';
  return h('option', { value: role.name }, `${humanize(role.name)}${inherits}`);
}

export function renderSignIn(root, { message, onSignedIn }) {
  let disposed = false;
  const debugError = formErrorArea();
  const tokenError = formErrorArea();
  const roleSelect = h('select', { id: 'signin-role', name: 'role', dataset: { field: 'role' } }, FALLBACK_ROLES.map(roleOption));
  const roleHint = h('p', { id: 'signin-role-hint', class: 'hint' }, 'Loading the roles of this help desk…');
  roleSelect.setAttribute('aria-describedby', 'signin-role-hint');
  let roles = FALLBACK_ROLES;

  function describeRole() {
    const role = roles.find((r) => r.name === roleSelect.value);
    if (!role) return;
    const eff = (role.effective || [role.name]).filter((r) => r !== role.name);
    roleHint.textContent = [role.description, eff.length ? `Also acts as: ${eff.join(', ')}.` : ''].filter(Boolean).join(' ');
  }
  roleSelect.addEventListener('change', describeRole);

  api.getSchema().then((schema) => {
    if (disposed || !schema || !Array.isArray(schema.roles) || !schema.roles.length) return;
    roles = schema.roles;
    const previous = roleSelect.value;
    mount(roleSelect, roles.map(roleOption));
    roleSelect.value = roles.some((r) => r.name === previous) ? previous : roles[0].name;
    describeRole();
  }).catch(() => {
    if (!disposed) roleHint.textContent = 'The role list could not be loaded; the server will check the role you pick.';
  });

  const debugForm = h('form', { class: 'card stack', id: 'debug-signin', novalidate: true },
    h('h2', null, 'Development sign-in'),
    h('p', { class: 'muted' }, 'On a server in debug mode, pick any user name and a role.'),
    h('div', { class: 'field' },
      h('label', { for: 'signin-user' }, 'User name'),
      h('input', { id: 'signin-user', name: 'sub', type: 'text', required: true, autocomplete: 'username', maxlength: 200, placeholder: 'e.g. alice', dataset: { field: 'sub' } })),
    h('div', { class: 'field' }, h('label', { for: 'signin-role' }, 'Role'), roleSelect, roleHint),
    debugError,
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Sign in'));

  const tokenForm = h('form', { class: 'card stack', id: 'token-signin', novalidate: true },
    h('h2', null, 'Sign in with a token'),
    h('p', { class: 'muted' }, 'Paste the bearer token (JWT) your administrator gave you.'),
    h('div', { class: 'field' },
      h('label', { for: 'signin-token' }, 'Token'),
      h('textarea', { id: 'signin-token', name: 'token', rows: 4, required: true, spellcheck: 'false', autocomplete: 'off', class: 'mono', dataset: { field: 'token' } })),
    tokenError,
    h('button', { type: 'submit', class: 'btn' }, 'Sign in with token'));

  function fail(box, text) {
    box.hidden = false;
    box.textContent = text;
    box.focus();
  }

  debugForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    debugError.hidden = true;
    const sub = debugForm.elements.sub.value.trim();
    if (!sub) {
      fail(debugError, 'Enter a user name.');
      debugForm.elements.sub.focus();
      return;
    }
    const button = debugForm.querySelector('button[type=submit]');
    button.disabled = true;
    button.textContent = 'Signing in…';
    try {
      const answer = await api.debugToken(sub, [roleSelect.value]);
      auth.signIn(answer.token);
      onSignedIn();
    } catch (err) {
      if (disposed) return;
      if (err.status === 404 || err.status === 405 || err.status === 501) {
        try {
          sessionStorage.setItem(DEBUG_OFF_KEY, '1');
        } catch {
          /* ignore */
        }
        debugForm.hidden = true;
        fail(tokenError, 'Development sign-in is not available on this server. Paste a token instead.');
        tokenForm.elements.token.focus();
      } else {
        fail(debugError, err.message || String(err));
      }
    } finally {
      button.disabled = false;
      button.textContent = 'Sign in';
    }
  });

  tokenForm.addEventListener('submit', (event) => {
    event.preventDefault();
    tokenError.hidden = true;
    try {
      auth.signIn(tokenForm.elements.token.value);
      onSignedIn();
    } catch (err) {
      fail(tokenError, err.message);
    }
  });

  let debugOff = false;
  try {
    debugOff = sessionStorage.getItem(DEBUG_OFF_KEY) === '1';
  } catch {
    /* ignore */
  }
  debugForm.hidden = debugOff;

  mount(root,
    h('section', { class: 'signin' },
      pageTitle('Sign in to the help desk'),
      message ? h('p', { class: 'notice', role: 'status' }, message) : null,
      h('div', { class: 'signin-grid' }, debugForm, tokenForm)));
  if (!debugOff) debugForm.elements.sub.focus();
  return () => {
    disposed = true;
  };
}
