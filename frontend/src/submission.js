// One submission of a form that sends a command, without the DOM: the Idempotency-Key it goes with, the checks
// that stop it before it goes, and one send at a time. Pure logic; forms/sending.js binds it to a form.
//
// The key follows the text: sending the same text again (after a refusal or a lost answer) reuses the key, so
// the server answers the first request again instead of doing it twice; a changed text, or a sent one, gets a
// new key.

/**
 * `newKey()` makes a key, `checks` are functions returning a problem ({message, control, ...}) or null, run in
 * order before sending, `send(key)` sends and resolves to the server's answer; `drafted.clear()` (optional) is
 * called once the answer came.
 */
export function createSubmission({ newKey, checks = [], send, drafted = null }) {
  let key = newKey();
  let busy = false;

  return {
    /** The Idempotency-Key the next send goes with. */
    key: () => key,
    /** Whether a send is in flight. */
    busy: () => busy,
    /** The text changed: it is a new request. */
    changed() {
      key = newKey();
    },
    /**
     * Check and send. Resolves to {status: 'sent', answer}, {status: 'refused', error} (the key is kept for a
     * retry of the same text), {status: 'stopped', problem} (a check stopped it; nothing was sent) or
     * {status: 'busy'} (a send is in flight already). `onStart()` is called as the send starts.
     */
    async run({ onStart = () => {} } = {}) {
      if (busy) return { status: 'busy' };
      for (const check of checks) {
        const problem = check();
        if (problem) return { status: 'stopped', problem };
      }
      busy = true;
      onStart();
      try {
        const answer = await send(key);
        if (drafted) drafted.clear();
        key = newKey();
        return { status: 'sent', answer };
      } catch (error) {
        return { status: 'refused', error };
      } finally {
        busy = false;
      }
    },
  };
}
