// Drafts: what someone typed and has not sent yet, kept per user, ticket and field in localStorage, so Escape, a
// reload or someone else's change never loses it. A sent form clears its draft. Drafts older than MAX_AGE_DAYS
// are dropped when the store opens.

const PREFIX = 'helpdesk.draft';
const MAX_AGE_DAYS = 30;

function memoryStorage() {
  const map = new Map();
  return {
    get length() {
      return map.size;
    },
    key: (i) => [...map.keys()][i] ?? null,
    getItem: (k) => (map.has(k) ? map.get(k) : null),
    setItem: (k, v) => map.set(k, String(v)),
    removeItem: (k) => map.delete(k),
  };
}

function defaultStorage() {
  try {
    const storage = globalThis.localStorage;
    const probe = `${PREFIX}-probe`;
    storage.setItem(probe, '1');
    storage.removeItem(probe);
    return storage;
  } catch {
    return memoryStorage(); // storage disabled: drafts last as long as the page
  }
}

/**
 * A draft store for one user. `scope` is a ticket id (or "new" for the new-ticket form), `field` a form's field
 * ("reply", "note", "assign.assignee", ...). Values are kept as {text, at}.
 */
export function openDrafts(user, { storage = defaultStorage(), now = () => Date.now() } = {}) {
  // '/' is encoded inside each part, so no user, ticket or field name can run into the next.
  const base = `${PREFIX}/${encodeURIComponent(user || 'anonymous')}/`;
  const keyOf = (scope, field) => `${base}${encodeURIComponent(scope)}/${encodeURIComponent(field)}`;

  function read(key) {
    try {
      const value = JSON.parse(storage.getItem(key));
      return value && typeof value.text === 'string' ? value : null;
    } catch {
      return null;
    }
  }

  // Forget drafts nobody came back to.
  const oldest = now() - MAX_AGE_DAYS * 86_400_000;
  const keys = [];
  for (let i = 0; i < storage.length; i += 1) keys.push(storage.key(i));
  for (const key of keys) {
    if (!key || !key.startsWith(`${PREFIX}/`)) continue;
    const value = read(key);
    if (!value || !(value.at >= oldest)) storage.removeItem(key);
  }

  return {
    get(scope, field) {
      const value = read(keyOf(scope, field));
      return value ? value.text : '';
    },
    /** Keep the text; an empty (or blank) text removes the draft. */
    set(scope, field, text) {
      const key = keyOf(scope, field);
      if (!text || !String(text).trim()) {
        storage.removeItem(key);
        return;
      }
      try {
        storage.setItem(key, JSON.stringify({ text: String(text), at: now() }));
      } catch {
        /* storage full: the text stays in the form */
      }
    },
    clear(scope, field) {
      storage.removeItem(keyOf(scope, field));
    },
    /** Whether any field of `prefix` (e.g. "assign.") has a draft in this scope. */
    has(scope, prefix = '') {
      const start = `${base}${encodeURIComponent(scope)}/${encodeURIComponent(prefix)}`;
      for (let i = 0; i < storage.length; i += 1) {
        const key = storage.key(i);
        if (key && key.startsWith(start) && read(key)) return true;
      }
      return false;
    },
  };
}
