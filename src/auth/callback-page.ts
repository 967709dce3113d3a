/** The page the browser lands on after Spotify: it says in plain words whether the login worked. */
export interface CallbackOutcome {
  ok: boolean;
  title: string;
  message: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function callbackPage(outcome: CallbackOutcome): string {
  const colour = outcome.ok ? '#1db954' : '#c0392b';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(outcome.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;line-height:1.5}
h1{color:${colour}}</style></head>
<body><h1>${escapeHtml(outcome.title)}</h1><p>${escapeHtml(outcome.message)}</p>
<p>You can close this tab and return to the terminal.</p></body></html>
`;
}
