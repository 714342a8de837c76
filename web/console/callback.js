// The sign-in popup's landing page (/console/callback). It hands the authorization code
// and state to the console window that opened it (same origin only) and closes. The code
// is removed from the address bar and this history entry first; nothing is stored.

const MESSAGE_TYPE = 'mynumber-console-sign-in';

const params = new URLSearchParams(location.search);
const code = params.get('code');
const state = params.get('state');
const error = params.get('error');
history.replaceState(null, '', location.pathname);

const show = (id) => {
  for (const el of document.querySelectorAll('main > [id^="callback-"]')) el.hidden = el.id !== id;
};

let opener = null;
try {
  opener = window.opener && window.opener.location.origin === location.origin ? window.opener : null;
} catch {
  opener = null; // the opener is on another origin
}

if (!opener) {
  show('callback-orphan');
} else {
  const message = error || !code
    ? { type: MESSAGE_TYPE, state: state || '', error: error || 'no_code' }
    : { type: MESSAGE_TYPE, state: state || '', code };
  opener.postMessage(message, location.origin);
  show('callback-done');
  window.close();
}
