// A burst of calls made one: the live stream's events of one poll, the keys of a word typed in a search box.
// Pure logic, no DOM.

/**
 * A function that runs `fn` once `pauseMs` have passed without another call to it; every call restarts the pause.
 * `.cancel()` drops a pending run (a page going away), `.now()` runs it at once (a search sent with Enter).
 */
export function coalesce(fn, pauseMs) {
  let timer = null;
  function call() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, pauseMs);
  }
  call.cancel = () => {
    clearTimeout(timer);
    timer = null;
  };
  call.now = () => {
    call.cancel();
    fn();
  };
  return call;
}
