// Requests that a newer one replaces. A page keeps one `latest()` per thing it shows (a
// list, a search): starting a request aborts the one before, and a reset aborts the
// current one. The answer of an aborted request is never shown, not even as an error:
// after each await the caller returns when its signal is aborted (or isAborted(err)).

export function latest() {
  let ctrl = null;
  return {
    /** Aborts the request in flight and gives the new one's signal. */
    start() {
      ctrl?.abort();
      ctrl = new AbortController();
      return ctrl.signal;
    },
    /** The signal of the current request, for work that belongs to it (its next page). */
    get signal() {
      if (!ctrl) ctrl = new AbortController();
      return ctrl.signal;
    },
    /** Aborts the current request (a reset: nothing it answers may be shown). */
    abort() {
      ctrl?.abort();
      ctrl = null;
    },
  };
}

/** Whether `err` is a fetch (or a wait) ended by its AbortSignal. */
export const isAborted = (err) => err?.name === 'AbortError';

/** `value` as an absolute http(s) URL, or '' (for URLs the API hands out; never logged). */
export function httpUrl(value) {
  if (typeof value !== 'string' || !value) return '';
  try {
    const url = new URL(value, location.href);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : '';
  } catch {
    return '';
  }
}
