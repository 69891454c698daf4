// Unread markers: the last version of each ticket this user has seen, kept in localStorage per user. A ticket
// whose version is above the one seen is unread; one never opened is unread if it changed after this user's
// markers started (their first sign-in in this browser), so a first sign-in does not flag the whole
// history. The ticket page may call markSeen(id, version) when it shows a ticket; main.js does the same when a
// ticket route opens and for live changes of the ticket on screen, so the person's own changes never make a
// ticket unread.

const PREFIX = 'helpdesk.seen.';
/** At most this many tickets are remembered per user; the least recently seen are forgotten first. */
export const MAX_REMEMBERED = 2000;

/**
 * A store of seen versions on a Storage-like object ({getItem, setItem}); `user` is the signed-in user's name.
 * Everything lives under one key per user: {since: ms, seen: {ticketId: [version, seenAtMs]}}.
 */
export function createSeenStore(storage, { max = MAX_REMEMBERED, now = () => Date.now() } = {}) {
  let user = null;
  let state = null; // {since, seen} of the current user, read once
  const listeners = new Set();

  function key() {
    return PREFIX + user;
  }

  function write() {
    if (!user || !storage) return;
    try {
      storage.setItem(key(), JSON.stringify(state));
    } catch {
      /* full or disabled storage: the markers last for this page only */
    }
  }

  function load() {
    if (state) return state;
    state = { since: null, seen: {} };
    if (!user) return state;
    try {
      const parsed = JSON.parse((storage && storage.getItem(key())) || 'null');
      if (parsed && Number.isFinite(parsed.since) && parsed.seen && typeof parsed.seen === 'object') {
        state.since = parsed.since;
        for (const [id, entry] of Object.entries(parsed.seen)) {
          if (Array.isArray(entry) && Number.isInteger(entry[0])) state.seen[id] = [entry[0], Number(entry[1]) || 0];
        }
      }
    } catch {
      /* unreadable storage: start afresh */
    }
    if (state.since === null) {
      state.since = now(); // this user's markers start now
      write();
    }
    return state;
  }

  function save() {
    const map = state.seen;
    const ids = Object.keys(map);
    if (ids.length > max) {
      ids.sort((a, b) => map[a][1] - map[b][1]);
      for (const id of ids.slice(0, ids.length - max)) delete map[id];
    }
    write();
  }

  return {
    /** Switch to another user's markers (null when signed out). */
    setUser(name) {
      if (name === user) return;
      user = name || null;
      state = null;
      if (user) load();
    },
    /** The version of a ticket this user has seen, or null if never. */
    seenVersion(id) {
      const entry = load().seen[id];
      return entry ? entry[0] : null;
    },
    /** When this user's markers started (ms since the epoch), or null when signed out. */
    since() {
      return user ? load().since : null;
    },
    /** The user has now seen the ticket at this version (a lower version than one already seen changes nothing). */
    markSeen(id, version) {
      const v = Number(version);
      if (!user || !id || !Number.isInteger(v) || v < 0) return false;
      const map = load().seen;
      const before = map[id] ? map[id][0] : -1;
      map[id] = [Math.max(before, v), now()];
      save();
      if (v > before) for (const fn of listeners) fn(id, v);
      return v > before;
    },
    /**
     * A ticket view ({aggregate_id, version, updated_at}) is unread when changed since this user last saw it, or,
     * never seen, when it changed after the markers started.
     */
    isUnread(ticket) {
      if (!user || !ticket || !ticket.aggregate_id) return false;
      const seen = this.seenVersion(ticket.aggregate_id);
      if (seen !== null) return Number(ticket.version) > seen;
      const changed = Date.parse(ticket.updated_at || '');
      return !Number.isFinite(changed) || changed >= load().since;
    },
    /**
     * After this user's own command took `ticket` (the view it acted on) to `toVersion`: a ticket read before
     * stays read; one unread before stays unread.
     */
    ownChange(ticket, toVersion) {
      if (ticket && !this.isUnread(ticket)) this.markSeen(ticket.aggregate_id, toVersion);
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

export function ownChange(ticket, toVersion) {
  store.ownChange(ticket, toVersion);
}

export function onSeen(fn) {
  return store.onSeen(fn);
}
