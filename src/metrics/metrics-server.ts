import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PipelineError } from '../errors.js';
import type { HealthReport } from './health.js';
import type { PipelineMetrics } from './pipeline-metrics.js';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * `/metrics` (Prometheus text format) and `/healthz` (200 or 503 with a JSON reason) on a plain
 * node:http server. Binds loopback unless told otherwise: metrics say when you listen to music.
 */
export async function startMetricsServer(options: {
  host: string;
  port: number;
  metrics: PipelineMetrics;
  health: () => HealthReport;
}): Promise<MetricsServer> {
  const { metrics, health } = options;
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics failed: ${String(err)}\n`);
        },
      );
      return;
    }
    if (path === '/healthz') {
      const report = health();
      res.writeHead(report.status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(`${JSON.stringify(report.body)}\n`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
  });
  // Keep-alive connections from a scraper must not hold the process open at shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new PipelineError(
          `Cannot serve metrics on ${options.host}:${options.port} (${err.code ?? err.message}): choose a free port with --metrics-port, or leave it out.`,
          2,
          { cause: err },
        ),
      ),
    );
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
