import { createServer, type Server } from 'node:http';
import { ConfigError } from '../errors.js';
import { callbackPage, type CallbackOutcome } from './callback-page.js';
import type { LoopbackRedirect } from './redirect-uri.js';

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
