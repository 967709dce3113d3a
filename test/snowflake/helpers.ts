import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { forwardRequest } from '../helpers/http-forward.js';

export async function tempDir(name: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `sf-${name}-`));
}

/** An RSA key pair, the private key written as PKCS#8 PEM (encrypted when a passphrase is given). */
export async function writeKeyPair(
  dir: string,
  passphrase?: string,
): Promise<{ file: string; publicKey: KeyObject }> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({
    type: 'pkcs8',
    format: 'pem',
    ...(passphrase ? { cipher: 'aes-256-cbc', passphrase } : {}),
  }) as string;
  const file = path.join(dir, 'rsa_key.p8');
  await fs.writeFile(file, pem, { mode: 0o600 });
  return { file, publicKey };
}

/**
 * S3 in front of s3rver: s3rver answers NotImplemented to ?notification, so this proxy keeps the bucket
 * notification configuration itself (stored as the XML the SDK sent, returned as S3 does) and forwards
 * every other request to s3rver.
 */
export class NotificationS3Proxy {
  notificationXml =
    '<?xml version="1.0" encoding="UTF-8"?><NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></NotificationConfiguration>';
  puts = 0;
  private server?: http.Server;
  constructor(private readonly upstream: string) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.searchParams.has('notification')) {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          if (req.method === 'PUT') {
            this.puts++;
            this.notificationXml = body;
            res.writeHead(200).end();
          } else {
            res.writeHead(200, { 'Content-Type': 'application/xml' }).end(this.notificationXml);
          }
        });
        return;
      }
      forwardRequest(this.upstream, req, res);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

/** s3rver on loopback with one bucket. */
export async function startS3rver(
  dir: string,
  bucket: string,
): Promise<{ url: string; stop: () => Promise<void> }> {
  // s3rver ships no types.
  const S3rver = createRequire(import.meta.url)('s3rver') as new (o: Record<string, unknown>) => {
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  };
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: dir,
    configureBuckets: [{ name: bucket }],
  });
  const addr = await server.run();
  return { url: `http://127.0.0.1:${addr.port}`, stop: () => server.close() };
}

/** The Snowflake objects most tests configure (tests spread and override what they need). */
export const TEST_OBJECTS = {
  database: 'SPOTIFY',
  schema: 'LISTENING',
  integration: 'SPOTIFY_LAKE_INTEGRATION',
  awsRoleArn: 'arn:aws:iam::123456789012:role/snowflake-lake',
  bucket: 'my-lake',
  tracksPrefix: 'spotify_listening_history/',
  episodesPrefix: 'spotify_episode_history/',
  mode: 'auto',
  roles: {},
} as const;
