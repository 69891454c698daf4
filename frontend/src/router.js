// Hash routes: "#/ticket/<id>", "#/queue?place=new&sort=-created". Each route renders into the main element.

const routes = [];
let notFound = null;
let beforeEach = null;
let active = null; // { cleanup } of the view on screen

/** route('/ticket/:id', (ctx) => cleanupFn?) */
export function route(pattern, render) {
  const keys = [];
  const regex = new RegExp(
    '^' +
      pattern.replace(/\//g, '\\/').replace(/:(\w+)/g, (_, key) => {
        keys.push(key);
        return '([^/]+)';
      }) +
      '$',
  );
  routes.push({ pattern, regex, keys, render });
}

export function fallback(render) {
  notFound = render;
}

/** A guard run before every route; it may return a path to go to instead. */
export function guard(fn) {
  beforeEach = fn;
}

export function parse(hash = location.hash) {
  const raw = hash.replace(/^#/, '') || '/';
  const [path, search = ''] = raw.split('?');
  return { path: path || '/', query: Object.fromEntries(new URLSearchParams(search)) };
}

export function href(path, query) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const text = q.toString();
  return `#${path}${text ? `?${text}` : ''}`;
}

export function navigate(path, query, { replace = false } = {}) {
  const target = href(path, query);
  if (replace) {
    history.replaceState(null, '', target);
    resolve();
  } else if (location.hash === target) {
    resolve();
  } else {
    location.hash = target;
  }
}

/** Change the query of the current route without adding history entries. */
export function replaceQuery(query) {
  const { path } = parse();
  history.replaceState(null, '', href(path, query));
}

export function currentPath() {
  return parse().path;
}

function resolve() {
  const { path, query } = parse();
  if (beforeEach) {
    const redirect = beforeEach(path, query);
    if (redirect && redirect !== path) {
      history.replaceState(null, '', href(redirect));
      return resolve();
    }
  }
  if (active && typeof active.cleanup === 'function') {
    try {
      active.cleanup();
    } catch (err) {
      console.warn('view cleanup failed', err);
    }
  }
  active = null;
  for (const r of routes) {
    const m = path.match(r.regex);
    if (m) {
      const params = {};
      r.keys.forEach((k, i) => {
        params[k] = decodeURIComponent(m[i + 1]);
      });
      active = { cleanup: r.render({ path, params, query }) };
      window.dispatchEvent(new CustomEvent('routechange', { detail: { path, pattern: r.pattern } }));
      return;
    }
  }
  if (notFound) active = { cleanup: notFound({ path, params: {}, query }) };
  window.dispatchEvent(new CustomEvent('routechange', { detail: { path, pattern: null } }));
}

export function start() {
  window.addEventListener('hashchange', resolve);
  resolve();
}

export function refresh() {
  resolve();
}
