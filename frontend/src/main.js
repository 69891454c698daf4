// Start-up: session, header and navigation, routes, live stream.

import * as api from './api.js';
import * as auth from './auth.js';
import { h, mount } from './dom.js';
import { humanize } from './format.js';
import * as live from './live.js';
import * as router from './router.js';
import { isOpen as helpIsOpen, openHelp } from './shortcut-help.js';
import * as shortcuts from './shortcuts.js';
import * as unread from './unread.js';
import { errorBox, focusTitle, loading, pageTitle } from './ui.js';
import { renderNewTicket } from './views/newticket.js';
import { renderPortal } from './views/portal.js';
import { renderPrivacy } from './views/privacy.js';
import { renderQueue } from './views/queue.js';
import { renderSignIn } from './views/signin.js';
import { renderSla } from './views/sla.js';
import { renderStats } from './views/stats.js';
import { renderSystem } from './views/system.js';
import { renderTicket } from './views/ticket.js';
import { renderWebhooks } from './views/webhooks.js';
import { renderWorkflow } from './views/workflow.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const user = document.getElementById('user');
const STAFF_ROUTES = new Set(['/queue', '/stats']);
let signInMessage = null;
let afterSignIn = null;
let expiryTimer = null;

function home() {
  return auth.isStaff() ? '/queue' : '/tickets';
}

// ---- header ---------------------------------------------------------------------------------------------

function navLinks() {
  const session = auth.current();
  if (!session) return [];
  if (!auth.isStaff()) {
    return [['/tickets', null, 'My tickets'], ['/new', null, 'Open a ticket'], ['/workflow', null, 'Workflow']];
  }
  const links = [['/queue', null, 'Queue'], ['/queue', { assignee: 'me' }, 'Assigned to me']];
  if (auth.hasRole('supervisor')) links.push(['/queue', { place: 'escalated' }, 'Escalated']);
  links.push(['/new', null, 'New ticket'], ['/stats', null, 'Stats'], ['/workflow', null, 'Workflow']);
  if (auth.hasRole('admin')) {
    links.push(['/system', null, 'System'], ['/sla', null, 'Service levels'], ['/webhooks', null, 'Webhooks'], ['/privacy', null, 'Privacy']);
  }
  return links;
}

function drawHeader() {
  const session = auth.current();
  const here = router.parse();
  const links = navLinks();
  // The link whose path and query best match the current location is the current page.
  let best = -1;
  let bestScore = -1;
  links.forEach(([path, query], i) => {
    if (path !== here.path) return;
    const q = query || {};
    const keys = Object.keys(q);
    const matches = keys.every((k) => here.query[k] === q[k]);
    const extraFilters = ['assignee', 'place'].filter((k) => here.query[k] && !(k in q)).length;
    const score = matches ? keys.length * 2 - extraFilters : -1;
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  });
  mount(nav, links.length ? h('ul', null, links.map(([path, query, label], i) => h('li', null,
    h('a', { href: router.href(path, query), 'aria-current': i === best ? 'page' : null }, label)))) : null);

  if (!session) {
    mount(user);
    return;
  }
  const inherited = [...session.effective].filter((r) => !session.roles.includes(r)).sort();
  const status = h('span', { class: 'live-status', id: 'live-status', role: 'status', 'aria-live': 'polite' });
  mount(user,
    status,
    h('span', { class: 'who', title: `Roles: ${[...session.effective].join(', ')}` },
      h('span', { class: 'who-name', dataset: { testid: 'user-name' } }, session.sub),
      h('span', { class: 'who-roles', dataset: { testid: 'user-roles' } },
        session.roles.map(humanize).join(', ') || 'no role',
        inherited.length ? h('span', { class: 'who-inherits' }, ` (inherits ${inherited.join(', ')})`) : null)),
    auth.isStaff() ? h('button', {
      type: 'button', class: 'btn btn-small shortcut-hint', id: 'shortcut-help-open', 'aria-keyshortcuts': '?',
      onclick: () => openHelp({ withList: Boolean(shortcuts.pageHandler('next')) }),
    }, 'Shortcuts', h('kbd', { 'aria-hidden': 'true' }, '?')) : null,
    h('button', { type: 'button', class: 'btn btn-small', id: 'sign-out', onclick: () => signOut() }, 'Sign out'));
  drawLiveStatus(live.liveStatus());
}

function drawLiveStatus(state) {
  const el = document.getElementById('live-status');
  if (!el) return;
  const text = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', off: 'Offline' }[state] || state;
  el.className = `live-status live-${state}`;
  el.textContent = text;
  el.title = state === 'live' ? 'Changes by others appear without reloading' : 'Live updates paused; the page still works';
}

// ---- session --------------------------------------------------------------------------------------------

function startSession() {
  clearTimeout(expiryTimer);
  const ms = auth.expiresInMs();
  if (Number.isFinite(ms)) {
    expiryTimer = setTimeout(() => signOut('Your session has expired. Please sign in again.'), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
  }
  live.connect();
  api.getSchema().then((schema) => auth.applySchema(schema)).catch(() => {});
}

function signOut(message = null) {
  clearTimeout(expiryTimer);
  live.disconnect();
  auth.signOut();
  signInMessage = message;
  router.navigate('/signin');
}

api.setUnauthorizedHandler((body) => {
  const reason = body && body.message ? ` (${body.message})` : '';
  afterSignIn = router.currentPath() === '/signin' ? afterSignIn : location.hash;
  signOut(`Your session is no longer valid${reason}. Please sign in again.`);
});

// ---- routes ---------------------------------------------------------------------------------------------

/** Views that need /api/schema wait for it (fetched once). */
function withSchema(render, title) {
  return (ctx) => {
    let cleanup = null;
    let disposed = false;
    mount(main, pageTitle(title), loading());
    api.getSchema().then((schema) => {
      if (disposed) return;
      cleanup = render(main, ctx, schema);
      focusTitle();
    }).catch((err) => {
      if (!disposed) mount(main, pageTitle(title), errorBox(err, () => router.refresh(), 'The workflow description could not be loaded'));
    });
    return () => {
      disposed = true;
      if (typeof cleanup === 'function') cleanup();
    };
  };
}

router.guard((path) => {
  if (!auth.current()) {
    if (path !== '/signin') afterSignIn = location.hash;
    return '/signin';
  }
  if (path === '/' || path === '/signin') return home();
  if (STAFF_ROUTES.has(path) && !auth.isStaff()) return home();
  if (path === '/tickets' && auth.isStaff()) return '/queue';
  return null;
});

router.route('/signin', () => {
  const message = signInMessage;
  signInMessage = null;
  return renderSignIn(main, {
    message,
    onSignedIn: () => {
      startSession();
      const target = afterSignIn && !afterSignIn.startsWith('#/signin') ? afterSignIn : null;
      afterSignIn = null;
      if (target) location.hash = target;
      else router.navigate(home());
    },
  });
});
router.route('/tickets', () => {
  const cleanup = renderPortal(main);
  focusTitle();
  return cleanup;
});
router.route('/new', () => renderNewTicket(main));
router.route('/queue', withSchema(renderQueue, 'Ticket queue'));
router.route('/ticket/:id', withSchema(renderTicket, 'Ticket'));
router.route('/workflow', withSchema(renderWorkflow, 'Workflow'));
router.route('/stats', withSchema(renderStats, 'Stats'));
router.route('/system', () => {
  const cleanup = renderSystem(main);
  focusTitle();
  return cleanup;
});
router.route('/sla', withSchema(renderSla, 'Service levels'));
router.route('/webhooks', withSchema(renderWebhooks, 'Webhooks'));
router.route('/privacy', () => {
  const cleanup = renderPrivacy(main);
  focusTitle();
  return cleanup;
});
router.fallback(() => {
  mount(main, pageTitle('Page not found'), h('p', null, 'There is nothing at this address. ', h('a', { href: router.href(home()) }, 'Go to the start page')));
  return null;
});


// ---- keyboard shortcuts ---------------------------------------------------------------------------------

const keymap = shortcuts.createKeymap();

/** Focus the queue's search once the queue page is on screen (after a route change). */
function focusSearchSoon(tries = 40) {
  const field = document.getElementById('filter-q');
  if (field && main.contains(field) && !main.querySelector('.state-loading')) {
    field.focus();
    return;
  }
  if (tries > 0) setTimeout(() => focusSearchSoon(tries - 1), 50);
}

const GLOBAL_ACTIONS = {
  help: () => openHelp({ withList: Boolean(shortcuts.pageHandler('next')) }),
  search: () => {
    router.navigate('/queue');
    focusSearchSoon();
  },
  'go-queue': () => router.navigate('/queue'),
  'go-mine': () => router.navigate('/queue', { assignee: 'me' }),
  'go-stats': () => router.navigate('/stats'),
  'new-ticket': () => router.navigate('/new'),
};

document.addEventListener('keydown', (event) => {
  // Shortcuts are the agent console's: customers' pages keep every key for themselves.
  if (!auth.isStaff() || helpIsOpen()) return;
  const shortcut = keymap.feed(event);
  if (!shortcut) return;
  const run = shortcuts.pageHandler(shortcut.action) || GLOBAL_ACTIONS[shortcut.action];
  if (!run) return;
  event.preventDefault();
  run();
});

// ---- start ----------------------------------------------------------------------------------------------

auth.onSessionChange((session) => {
  unread.setUser(session ? session.sub : null);
  drawHeader();
});
live.onStatus(drawLiveStatus);
window.addEventListener('routechange', drawHeader);
document.getElementById('skip-link').addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});

if (auth.restore()) startSession();
unread.setUser(auth.current() ? auth.current().sub : null);
drawHeader();
router.start();
