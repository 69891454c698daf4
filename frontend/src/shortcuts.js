// Keyboard shortcuts: which key (or two-key sequence such as "g q") means which action. Pure logic, no DOM:
// main.js feeds it keydown events and runs the action; pages register what "next", "open"… mean for them.

/** Every shortcut, in the order the help overlay lists them. `when: 'list'` ones work on pages with a list. */
export const SHORTCUTS = [
  { keys: '?', action: 'help', description: 'Show this list of shortcuts' },
  { keys: '/', action: 'search', description: 'Search tickets' },
  { keys: 'j', action: 'next', description: 'Next ticket in the list', when: 'list' },
  { keys: 'k', action: 'prev', description: 'Previous ticket in the list', when: 'list' },
  { keys: 'o', action: 'open', description: 'Open the current ticket', when: 'list' },
  { keys: 'Enter', action: 'open', description: 'Open the current ticket', when: 'list' },
  { keys: 'x', action: 'select', description: 'Select or unselect the current ticket', when: 'list' },
  { keys: 'g q', action: 'go-queue', description: 'Go to the queue' },
  { keys: 'g m', action: 'go-mine', description: 'Go to the tickets assigned to me' },
  { keys: 'g s', action: 'go-stats', description: 'Go to the stats' },
  { keys: 'n', action: 'new-ticket', description: 'Open a new ticket' },
];

/** How long the second key of a sequence may wait for the first, in milliseconds. */
export const SEQUENCE_MS = 1500;

const FIELD_TAGS = new Set(['TEXTAREA', 'SELECT']);
// Inputs that take no typed text: keys pressed on them are still shortcuts.
const NOT_TEXT_INPUTS = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file', 'image']);
// Enter already means something on these: a shortcut must not take it away.
const ACTIVATES_ON_ENTER = new Set(['A', 'BUTTON', 'SUMMARY', 'INPUT', 'TEXTAREA', 'SELECT', 'OPTION']);

/** True while the person is typing: in a field, a text area, a select or anything content-editable. */
export function isTyping(target) {
  let el = target;
  while (el) {
    if (FIELD_TAGS.has(el.tagName) || el.isContentEditable === true) return true;
    if (el.tagName === 'INPUT') {
      const type = String((el.getAttribute && el.getAttribute('type')) || el.type || 'text').toLowerCase();
      return !NOT_TEXT_INPUTS.has(type);
    }
    const editable = el.getAttribute ? el.getAttribute('contenteditable') : null;
    if (editable !== null && editable !== undefined && editable !== 'false') return true;
    el = el.parentElement || null;
  }
  return false;
}

function activatesOnEnter(target) {
  return Boolean(target && (ACTIVATES_ON_ENTER.has(target.tagName) || (target.getAttribute && target.getAttribute('role') === 'button')));
}

/**
 * A key map. `feed(event, now)` takes a keydown event (or any {key, ctrlKey, metaKey, altKey, target}) and returns
 * the shortcut it completes, or null. A first key of a sequence ("g") returns null and waits for the next one.
 */
export function createKeymap(shortcuts = SHORTCUTS, { sequenceMs = SEQUENCE_MS } = {}) {
  const bindings = shortcuts.map((s) => ({ ...s, seq: s.keys === ' ' ? [' '] : s.keys.split(' ') }));
  const prefixes = new Set(bindings.filter((b) => b.seq.length > 1).map((b) => b.seq[0]));
  let pending = null; // { key, at }

  function feed(event, now = Date.now()) {
    if (!event || event.defaultPrevented || event.isComposing) return null;
    if (event.ctrlKey || event.metaKey || event.altKey) {
      pending = null;
      return null; // the browser's and the system's own shortcuts stay theirs
    }
    if (isTyping(event.target)) {
      pending = null;
      return null;
    }
    const key = event.key;
    if (!key || key === 'Shift') return null;
    if (key === 'Enter' && activatesOnEnter(event.target)) {
      pending = null;
      return null;
    }
    if (pending && now - pending.at <= sequenceMs) {
      const first = pending.key;
      pending = null;
      const match = bindings.find((b) => b.seq.length === 2 && b.seq[0] === first && b.seq[1] === key);
      if (match) return match;
      // Not a known sequence: the key counts on its own.
    } else {
      pending = null;
    }
    if (prefixes.has(key)) {
      pending = { key, at: now };
      return null;
    }
    return bindings.find((b) => b.seq.length === 1 && b.seq[0] === key) || null;
  }

  return {
    feed,
    /** The first key of a sequence waiting for its second, or null. */
    pending: () => (pending ? pending.key : null),
    reset: () => {
      pending = null;
    },
  };
}

// ---- what the page on screen offers ---------------------------------------------------------------------

let handlers = null;

/** A page offers list actions (next, prev, open, select, search); returns the function that withdraws them. */
export function offer(pageHandlers) {
  handlers = pageHandlers;
  return () => {
    if (handlers === pageHandlers) handlers = null;
  };
}

/** The page's handler for an action, if the page on screen has one. */
export function pageHandler(action) {
  return handlers && typeof handlers[action] === 'function' ? handlers[action] : null;
}

/** The shortcuts to list on the help overlay: the list ones only while a page offers them. */
export function listed(withList) {
  return SHORTCUTS.filter((s) => withList || s.when !== 'list');
}
