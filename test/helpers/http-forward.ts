import { request, type IncomingMessage, type ServerResponse } from 'node:http';

/** Forwards a request to `upstream` as it came and pipes the answer back (for test proxies). */
export function forwardRequest(upstream: string, req: IncomingMessage, res: ServerResponse): void {
  const up = new URL(upstream);
  const proxied = request(
    { host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers },
    (upRes) => {
      res.writeHead(upRes.statusCode ?? 500, upRes.headers);
      upRes.pipe(res);
    },
  );
  proxied.on('error', () => res.writeHead(502).end());
  req.pipe(proxied);
}
