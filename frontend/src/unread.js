// Unread markers: the last version of each ticket this user has seen, kept in localStorage per user. A ticket
// whose version is above the one seen (or that was never opened) is unread. The ticket page calls
// markSeen(id, version) when it shows a ticket; main.js does the same when a ticket route opens and for live
// changes of the ticket on screen, so the person's own changes never make a ticket unread.

const PREFIX = 'helpdesk.seen.';
/** At most this many tickets are remembered per user; the least recently seen are forgotten first. */
export const MAX_REMEMBERED = 2000;

/**
 * A store of seen versions on a Storage-like object ({getItem, setItem}); `user` is the signed-in user's name.
 * Everything lives under one key per user: {ticketId: [version, seenAtMs]}.
 */
export function createSeenStore(storage, { max = MAX_REMEMBERED, now = () => Date.now() } = {}) {
  let user = null;
  let cache = null; // the map of the current user, read once
  const listeners = new Set();

  function key() {
    return PREFIX + user;
  }

  function load() {
    if (cache) return cache;
    cache = {};
    if (!user || !storage) return cache;
    try {
      const parsed = JSON.parse(storage.getItem(key()) || '{}');
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        for (const [id, entry] of Object.entries(parsed)) {
          if (Array.isArray(entry) && Number.isInteger(entry[0])) cache[id] = [entry[0], Number(entry[1]) || 0];
        }
      }
    } catch {
      /* unreadable or disabled storage: start empty */
    }
    return cache;
  }

  function save(map) {
    const ids = Object.keys(map);
    if (ids.length > max) {
      ids.sort((a, b) => map[a][1] - map[b][1]);
      for (const id of ids.slice(0, ids.length - max)) delete map[id];
    }
    if (!user || !storage) return;
    try {
      storage.setItem(key(), JSON.stringify(map));
    } catch {
      /* full or disabled storage: the markers last for this page only */
    }
  }

  return {
    /** Switch to another user's markers (null when signed out). */
    setUser(name) {
      if (name === user) return;
      user = name || null;
      cache = null;
    },
    /** The version of a ticket this user has seen, or null if never. */
    seenVersion(id) {
      const entry = load()[id];
      return entry ? entry[0] : null;
    },
    /** The user has now seen the ticket at this version (a lower version than one already seen changes nothing). */
    markSeen(id, version) {
      const v = Number(version);
      if (!user || !id || !Number.isInteger(v) || v < 0) return false;
      const map = load();
      const before = map[id] ? map[id][0] : -1;
      map[id] = [Math.max(before, v), now()];
      save(map);
      if (v > before) for (const fn of listeners) fn(id, v);
      return v > before;
    },
    /** A ticket view (or {aggregate_id, version}) is unread when changed since this user last saw it. */
    isUnread(ticket) {
      if (!user || !ticket || !ticket.aggregate_id) return false;
      const seen = this.seenVersion(ticket.aggregate_id);
      return seen === null || Number(ticket.version) > seen;
    },
    /**
     * After this user's own command took a ticket from `fromVersion` to `toVersion`: if the user had seen it
     * up to date before, the own change keeps it read; a ticket unread before stays unread.
     */
    ownChange(id, fromVersion, toVersion) {
      const seen = this.seenVersion(id);
      if (seen !== null && seen >= Number(fromVersion)) this.markSeen(id, toVersion);
    },
    /** fn(id, version) whenever a ticket becomes read; returns the unsubscribe function. */
    onSeen(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}

function defaultStorage() {
  try {
    return globalThis.localStorage || null;
  } catch {
    return null; // storage blocked by the browser's settings
  }
}

const store = createSeenStore(defaultStorage());

/** The signed-in user (main.js sets it on every session change). */
export function setUser(name) {
  store.setUser(name);
}

/** Record that the signed-in user has seen this ticket at this version. */
export function markSeen(ticketId, version) {
  return store.markSeen(ticketId, version);
}

export function isUnread(ticket) {
  return store.isUnread(ticket);
}

export function ownChange(ticketId, fromVersion, toVersion) {
  store.ownChange(ticketId, fromVersion, toVersion);
}

export function onSeen(fn) {
  return store.onSeen(fn);
}
