// Live updates: one EventSource on /api/stream for the whole page; views subscribe to ticket events.

import { notePosition, streamUrl } from './api.js';
import { coalesce } from './coalesce.js';

const subscribers = new Set();
const statusListeners = new Set();
let source = null;
let retryTimer = null;
let retryDelay = 1000;
let status = 'off'; // off | connecting | live | reconnecting
let lastEventId = null;
let everOpened = false;

function setStatus(next) {
  if (status === next) return;
  status = next;
  for (const fn of statusListeners) fn(status);
}

function dispatch(ticket, position) {
  for (const fn of subscribers) {
    try {
      fn(ticket, position);
    } catch (err) {
      console.warn('live subscriber failed', err);
    }
  }
}

function onTicket(event) {
  let data;
  try {
    data = JSON.parse(event.data);
  } catch {
    return;
  }
  const position = Number(event.lastEventId || data.position || 0) || null;
  if (position) {
    lastEventId = position;
    // The event is in the read model already; later reads can ask for it.
    notePosition(position);
  }
  dispatch(data, position);
}

function open() {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (source) source.close();
  setStatus(status === 'live' || status === 'reconnecting' ? 'reconnecting' : 'connecting');
  const es = new EventSource(streamUrl());
  source = es;
  const resumed = everOpened;
  es.addEventListener('open', () => {
    retryDelay = 1000;
    setStatus('live');
    everOpened = true;
    // A new EventSource cannot send Last-Event-ID: events may have been missed, so views reload once.
    if (resumed && source === es) dispatch(null, null);
  });
  es.addEventListener('ticket', onTicket);
  es.addEventListener('error', () => {
    if (source !== es) return;
    if (es.readyState === EventSource.CLOSED) {
      // The server refused or ended the stream: retry with backoff, as the browser would for a dropped one.
      es.close();
      source = null;
      setStatus('reconnecting');
      retryTimer = setTimeout(open, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
    } else {
      setStatus('reconnecting');
    }
  });
}

/** Connect (or reconnect with a new token). */
export function connect() {
  lastEventId = null;
  everOpened = false;
  retryDelay = 1000;
  setStatus('connecting');
  open();
}

export function disconnect() {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (source) source.close();
  source = null;
  setStatus('off');
}

/** fn(ticketView, position) for every ticket event, fn(null) after a gap; returns an unsubscribe function. */
export function subscribe(fn) {
  subscribers.add(fn);
  return () => subscribers.delete(fn);
}

/**
 * Call reload() once after a burst of events (none for `pauseMs`): the events of one poll of the stream arrive
 * together and make one reload. `concerns(view)` sees every event first (null after a gap) and says whether it is
 * this page's; it may show the view at once. Returns the function that stops, dropping a pending reload.
 */
export function reloadOnChange(reload, { pauseMs = 25, concerns = () => true } = {}) {
  const soon = coalesce(reload, pauseMs);
  const unsubscribe = subscribe((view) => {
    if (concerns(view)) soon();
  });
  return () => {
    soon.cancel();
    unsubscribe();
  };
}

export function onStatus(fn) {
  statusListeners.add(fn);
  fn(status);
  return () => statusListeners.delete(fn);
}

export function liveStatus() {
  return status;
}
