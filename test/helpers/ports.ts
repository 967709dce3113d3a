import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 for the CLI's callback server (one per test, so tests can run in parallel). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
