// A poll loop for a page that shows a live state: one request at a time, the next one `intervalMs` after the last
// answer, none while the tab is hidden (and one at once when it shows again), none after stop(). No DOM of its
// own: the document (its visibilityState and visibilitychange) and the timers are handed in, so node tests it.

/**
 * `load(signal)` resolves to the state; `onData(state)` and `onError(err)` get each outcome. `visibility` is the
 * document (anything with visibilityState and add/removeEventListener). Returns {start, stop, refresh, running}.
 */
export function createPoller({
  load, onData = () => {}, onError = () => {}, intervalMs = 2000, visibility,
  timers = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (id) => clearTimeout(id) },
}) {
  let timer = null;
  let inFlight = null; // AbortController of the request on its way
  let again = false; // refresh() asked during a request: one more right after it
  let started = false;
  let stopped = false;

  const visible = () => !visibility || visibility.visibilityState !== 'hidden';

  function cancelTimer() {
    if (timer !== null) timers.clearTimeout(timer);
    timer = null;
  }

  function schedule() {
    cancelTimer();
    if (!stopped && visible()) timer = timers.setTimeout(poll, intervalMs);
  }

  async function poll() {
    cancelTimer();
    if (stopped || !visible()) return;
    if (inFlight) {
      again = true;
      return;
    }
    const controller = new AbortController();
    inFlight = controller;
    try {
      const state = await load(controller.signal);
      if (!controller.signal.aborted) onData(state);
    } catch (err) {
      if (!controller.signal.aborted && !(err && err.name === 'AbortError')) onError(err);
    } finally {
      if (inFlight === controller) inFlight = null;
    }
    if (again) {
      again = false;
      poll();
    } else {
      schedule();
    }
  }

  function onVisibility() {
    if (stopped) return;
    if (visible()) {
      if (!inFlight) poll();
    } else {
      cancelTimer();
    }
  }

  return {
    /** Poll now, then every interval while visible. */
    start() {
      if (started || stopped) return;
      started = true;
      if (visibility) visibility.addEventListener('visibilitychange', onVisibility);
      poll();
    },
    /** Poll now (after the request on its way, if any), e.g. after an action changed the state. */
    refresh() {
      if (stopped) return;
      cancelTimer();
      poll();
    },
    /** No more requests; the one on its way is aborted and its outcome dropped. */
    stop() {
      stopped = true;
      cancelTimer();
      if (visibility) visibility.removeEventListener('visibilitychange', onVisibility);
      if (inFlight) inFlight.abort();
      inFlight = null;
    },
    /** Whether a next poll is planned or on its way. */
    running: () => !stopped && (timer !== null || inFlight !== null),
  };
}
