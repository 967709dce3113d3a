import { createServer, type Server } from 'node:http';
import { createInterface } from 'node:readline';
import { AuthRequiredError, ConfigError } from '../errors.js';
import type { LoopbackRedirect } from './authorize.js';

/** The page the browser lands on after Spotify: it says in plain words whether the login worked. */
export interface CallbackOutcome {
  ok: boolean;
  title: string;
  message: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function callbackPage(outcome: CallbackOutcome): string {
  const colour = outcome.ok ? '#1db954' : '#c0392b';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(outcome.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;line-height:1.5}
h1{color:${colour}}</style></head>
<body><h1>${escapeHtml(outcome.title)}</h1><p>${escapeHtml(outcome.message)}</p>
<p>You can close this tab and return to the terminal.</p></body></html>
`;
}

/** The one-shot server: handles the first request to the redirect path, then stops. */
export interface CallbackServer {
  /** Settles with whatever `handle` produced for the first callback request. */
  readonly done: Promise<void>;
  close(): Promise<void>;
}

/**
 * Listens on the redirect URI's host, port and path. The first request to the path is passed to `handle`;
 * the browser gets a page saying whether it worked (from `describe`), and `done` settles like `handle`.
 */
export async function startCallbackServer(
  redirect: LoopbackRedirect,
  handle: (params: URLSearchParams) => Promise<void>,
  describe: (err: unknown) => CallbackOutcome,
): Promise<CallbackServer> {
  let settle!: { resolve: () => void; reject: (err: unknown) => void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  let handled = false;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://loopback');
    if (url.pathname !== redirect.path || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    const send = (outcome: CallbackOutcome, after: () => void) => {
      res.writeHead(outcome.ok ? 200 : 400, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'close',
      });
      res.end(callbackPage(outcome), after);
    };
    if (handled) {
      send(
        { ok: false, title: 'Already handled', message: 'This login was already completed or refused.' },
        () => {},
      );
      return;
    }
    handled = true;
    handle(url.searchParams).then(
      () => send(describe(undefined), settle.resolve),
      (err: unknown) => send(describe(err), () => settle.reject(err)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = `${redirect.host}:${redirect.port}`;
      reject(
        new ConfigError(
          err.code === 'EADDRINUSE'
            ? `Cannot receive Spotify's answer: port ${redirect.port} (${where}, from SPOTIFY_REDIRECT_URI) is in use by another program. Stop it, or choose another port in SPOTIFY_REDIRECT_URI and register that URI in your app at developer.spotify.com/dashboard.`
            : `Cannot listen on ${where} (from SPOTIFY_REDIRECT_URI ${redirect.uri}): ${err.message}. Use http://127.0.0.1:PORT/callback with a free port, registered in your app.`,
          { cause: err },
        ),
      );
    });
    server.listen(redirect.port, redirect.host, () => resolve());
  });
  return {
    done,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Bad pastes allowed before giving up: a slip (half the address, the code alone) should not end the login. */
const PASTE_ATTEMPTS = 3;

const AGAIN = 'Run `spotify-pipeline auth login --no-browser` again.';

/**
 * `--no-browser`: the user opens the URL on another machine, and pastes here the address the browser was
 * sent to (it fails to load there, which is expected). Returns its query parameters. A paste that is not that
 * address is explained on `out` and asked for again, up to PASTE_ATTEMPTS times: the authorization on the
 * other machine is still good, so starting over would only cost a new round trip.
 */
export async function readPastedCallback(
  input: NodeJS.ReadableStream,
  expectedPath: string,
  out?: NodeJS.WritableStream,
): Promise<URLSearchParams> {
  const rl = createInterface({ input, terminal: false });
  let attempts = 0;
  try {
    for await (const line of rl) {
      const text = line.trim();
      if (!text) continue;
      try {
        return parsePastedCallback(text, expectedPath);
      } catch (err) {
        attempts++;
        if (!out || attempts >= PASTE_ATTEMPTS)
          throw new AuthRequiredError(`${(err as Error).message} ${AGAIN}`);
        out.write(
          `${(err as Error).message}\nPaste it again and press Enter (try ${attempts + 1} of ${PASTE_ATTEMPTS}):\n`,
        );
      }
    }
  } finally {
    rl.close();
  }
  throw new AuthRequiredError(
    `No address was pasted (standard input ended): paste the full address the browser was sent to. ${AGAIN}`,
  );
}

export function parsePastedCallback(text: string, expectedPath: string): URLSearchParams {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AuthRequiredError(
      'That is not an address: paste the full address the browser was sent to after the Spotify page, starting with http://.',
    );
  }
  if (url.pathname !== expectedPath) {
    throw new AuthRequiredError(
      `The pasted address goes to ${url.pathname}, not to the redirect path ${expectedPath}: paste the address the browser was sent to after the Spotify page.`,
    );
  }
  return url.searchParams;
}
