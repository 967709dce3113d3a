import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import { startS3rver } from '../helpers/s3rver.js';
import { forwardRequest } from '../helpers/http-forward.js';

/**
 * S3's bucket lifecycle subresource (`?lifecycle`), which s3rver answers NotImplemented, in front of s3rver
 * (every other request is passed through). As the S3 API reference documents it:
 * - GetBucketLifecycleConfiguration: 200 with `<LifecycleConfiguration>` and the
 *   `x-amz-transition-default-minimum-object-size` header; 404 NoSuchLifecycleConfiguration when none is set.
 * - PutBucketLifecycleConfiguration REPLACES the whole configuration. It needs an integrity header
 *   (Content-MD5 or an x-amz-checksum-*), checked against the body (400 InvalidRequest when missing, 400
 *   BadDigest when wrong); the body must hold 1-1000 rules, each with a unique ID of at most 255 characters,
 *   Status Enabled|Disabled, a Filter (or the legacy Prefix) and at least one action; transitions to
 *   STANDARD_IA / ONEZONE_IA need Days >= 30; NoncurrentDays and DaysAfterInitiation are positive; an
 *   Expiration's ExpiredObjectDeleteMarker comes without Days or Date.
 *   Malformed XML: 400 MalformedXML; a rule breaking a constraint: 400 InvalidArgument. The
 *   x-amz-transition-default-minimum-object-size request header (default all_storage_classes_128K) is kept
 *   with the configuration.
 * - DeleteBucketLifecycle: 204, and the configuration is gone.
 * - A bucket that does not exist: 404 NoSuchBucket.
 * - Optionally (`lagReads`), the documented propagation lag: GETs right after a write answer the old one.
 * Every lifecycle request is recorded so a test can see what a command sent.
 */

export interface XmlNode {
  name: string;
  children: XmlNode[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    const v = ENTITIES[e];
    if (v === undefined) throw new Error(`unknown entity ${m}`);
    return v;
  });
}

/** A small XML parser for S3's element-only documents (attributes such as xmlns are read and dropped). */
export function parseXml(xml: string): XmlNode {
  let i = 0;
  const skipSpace = () => {
    while (i < xml.length && /\s/.test(xml[i]!)) i++;
  };
  const skipProlog = () => {
    for (;;) {
      skipSpace();
      if (xml.startsWith('<?', i)) i = xml.indexOf('?>', i) + 2;
      else if (xml.startsWith('<!--', i)) i = xml.indexOf('-->', i) + 3;
      else return;
      if (i < 2) throw new Error('unterminated declaration');
    }
  };
  const element = (): XmlNode => {
    const open = /^<([A-Za-z_][\w.:-]*)((?:\s+[\w:.-]+\s*=\s*("[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(
      xml.slice(i),
    );
    if (!open) throw new Error(`expected an element at ${i}`);
    i += open[0].length;
    const node: XmlNode = { name: open[1]!, children: [], text: '' };
    if (open[4] === '/') return node;
    for (;;) {
      const lt = xml.indexOf('<', i);
      if (lt < 0) throw new Error(`unterminated <${node.name}>`);
      node.text += decode(xml.slice(i, lt));
      i = lt;
      if (xml.startsWith('</', i)) {
        const close = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(xml.slice(i));
        if (!close || close[1] !== node.name) throw new Error(`mismatched closing tag for <${node.name}>`);
        i += close[0].length;
        if (node.children.length) node.text = node.text.trim();
        return node;
      }
      if (xml.startsWith('<!--', i)) {
        i = xml.indexOf('-->', i) + 3;
        continue;
      }
      node.children.push(element());
    }
  };
  skipProlog();
  const root = element();
  skipProlog();
  if (i !== xml.length) throw new Error('data after the root element');
  return root;
}

const escape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function serializeXml(node: XmlNode): string {
  const inner = node.children.length ? node.children.map(serializeXml).join('') : escape(node.text);
  return `<${node.name}>${inner}</${node.name}>`;
}

const child = (n: XmlNode, name: string) => n.children.find((c) => c.name === name);
const childrenNamed = (n: XmlNode, name: string) => n.children.filter((c) => c.name === name);

class S3Fault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const STORAGE_CLASSES = [
  'GLACIER',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'DEEP_ARCHIVE',
  'GLACIER_IR',
];
const DEFAULT_MIN_SIZE = 'all_storage_classes_128K';

function positiveInt(node: XmlNode | undefined, what: string, min: number): number | undefined {
  if (!node) return undefined;
  if (!/^\d+$/.test(node.text)) throw new S3Fault(400, 'MalformedXML', `${what} must be an integer`);
  const n = Number(node.text);
  if (n < min)
    throw new S3Fault(
      400,
      'InvalidArgument',
      `'${what}' must be ${min === 1 ? 'a positive integer' : `>= ${min}`}`,
    );
  return n;
}

/** The rules of S3's PutBucketLifecycleConfiguration, as documented; throws the error S3 answers. */
function validateConfiguration(root: XmlNode): void {
  if (root.name !== 'LifecycleConfiguration')
    throw new S3Fault(
      400,
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
    );
  const rules = childrenNamed(root, 'Rule');
  if (rules.length === 0 || rules.length > 1000 || rules.length !== root.children.length)
    throw new S3Fault(
      400,
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
    );
  const ids = new Set<string>();
  for (const rule of rules) {
    const id = child(rule, 'ID')?.text ?? '';
    if (id.length > 255)
      throw new S3Fault(400, 'InvalidArgument', 'ID length should not exceed allowed limit of 255');
    if (id && ids.has(id))
      throw new S3Fault(
        400,
        'InvalidArgument',
        'Rule ID must be unique. Found same ID for more than one rule',
      );
    ids.add(id);
    const status = child(rule, 'Status')?.text;
    if (status !== 'Enabled' && status !== 'Disabled')
      throw new S3Fault(
        400,
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema',
      );
    if (!child(rule, 'Filter') && !child(rule, 'Prefix'))
      throw new S3Fault(
        400,
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema',
      );
    const actions = [
      'Transition',
      'Expiration',
      'NoncurrentVersionTransition',
      'NoncurrentVersionExpiration',
      'AbortIncompleteMultipartUpload',
    ];
    if (!rule.children.some((c) => actions.includes(c.name)))
      throw new S3Fault(400, 'InvalidRequest', 'At least one action needs to be specified in a rule');
    for (const t of childrenNamed(rule, 'Transition')) {
      const sc = child(t, 'StorageClass')?.text ?? '';
      if (!STORAGE_CLASSES.includes(sc))
        throw new S3Fault(400, 'MalformedXML', `invalid storage class ${sc}`);
      const days = positiveInt(child(t, 'Days'), 'Days', 0);
      if (days !== undefined && (sc === 'STANDARD_IA' || sc === 'ONEZONE_IA') && days < 30)
        throw new S3Fault(
          400,
          'InvalidArgument',
          `'Days' in Transition action must be greater than or equal to 30 for storageClass '${sc}'`,
        );
    }
    const expiration = child(rule, 'Expiration');
    // "This [ExpiredObjectDeleteMarker] cannot be specified with Days or Date" (API_LifecycleExpiration.html;
    // the page names no error code: InvalidArgument, as for the other constraints here).
    if (
      expiration &&
      child(expiration, 'ExpiredObjectDeleteMarker') &&
      (child(expiration, 'Days') || child(expiration, 'Date'))
    )
      throw new S3Fault(
        400,
        'InvalidArgument',
        'ExpiredObjectDeleteMarker cannot be specified with Days or Date in a Lifecycle Expiration Policy',
      );
    const nve = child(rule, 'NoncurrentVersionExpiration');
    if (nve) positiveInt(child(nve, 'NoncurrentDays'), 'NoncurrentDays', 1);
    const abort = child(rule, 'AbortIncompleteMultipartUpload');
    if (abort) positiveInt(child(abort, 'DaysAfterInitiation'), 'DaysAfterInitiation', 1);
  }
}

function checkIntegrity(req: IncomingMessage, body: Buffer): void {
  const md5 = req.headers['content-md5'];
  const crc = req.headers['x-amz-checksum-crc32'];
  const others = Object.keys(req.headers).filter(
    (h) => h.startsWith('x-amz-checksum-') && h !== 'x-amz-checksum-crc32',
  );
  if (md5 === undefined && crc === undefined && others.length === 0)
    throw new S3Fault(400, 'InvalidRequest', 'Missing required header for this request: Content-MD5');
  if (typeof md5 === 'string' && createHash('md5').update(body).digest('base64') !== md5)
    throw new S3Fault(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
  if (typeof crc === 'string') {
    const expected = Buffer.alloc(4);
    expected.writeUInt32BE(crc32(body));
    if (expected.toString('base64') !== crc)
      throw new S3Fault(400, 'BadDigest', 'The CRC32 you specified did not match the calculated checksum.');
  }
}

export interface LifecycleRequest {
  method: string;
  bucket: string;
  status?: number;
  body?: string;
}

export class LifecycleS3Proxy {
  /** Per bucket: the stored configuration and its default minimum object size for transitions. */
  readonly configurations = new Map<string, { root: XmlNode; minimumObjectSize: string }>();
  readonly requests: LifecycleRequest[] = [];
  /**
   * Propagation lag: after a PUT or DELETE, this many GETs still answer the configuration from before ("there
   * is usually some lag before a new or updated Lifecycle configuration is fully propagated",
   * how-to-set-lifecycle-configuration-intro.html). 0 (default): read-after-write.
   */
  lagReads = 0;
  private readonly stale = new Map<
    string,
    { before?: { root: XmlNode; minimumObjectSize: string }; left: number }
  >();
  private server?: Server;

  constructor(
    private readonly buckets: readonly string[],
    private readonly upstream?: string,
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Sets a configuration directly (another team's rules already on the bucket). */
  preset(bucket: string, xml: string, minimumObjectSize = DEFAULT_MIN_SIZE): void {
    const root = parseXml(xml);
    validateConfiguration(root);
    this.configurations.set(bucket, { root, minimumObjectSize });
  }

  /** The stored configuration as S3 returns it, or undefined. */
  stored(bucket: string): string | undefined {
    const c = this.configurations.get(bucket);
    return c && serializeXml(c.root);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const bucket = decodeURIComponent(url.pathname.split('/')[1] ?? '');
    const isLifecycle =
      url.searchParams.has('lifecycle') && url.pathname.split('/').filter(Boolean).length === 1;
    if (!isLifecycle) return this.forward(req, res);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const record: LifecycleRequest = {
      method: req.method ?? 'GET',
      bucket,
      ...(body.length ? { body: body.toString('utf8') } : {}),
    };
    this.requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));
    try {
      if (!this.buckets.includes(bucket))
        throw new S3Fault(404, 'NoSuchBucket', 'The specified bucket does not exist');
      if (req.method === 'GET') {
        const lag = this.stale.get(bucket);
        const c = lag && lag.left-- > 0 ? lag.before : this.configurations.get(bucket);
        if (!c)
          throw new S3Fault(
            404,
            'NoSuchLifecycleConfiguration',
            'The lifecycle configuration does not exist',
          );
        const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${c.root.children.map(serializeXml).join('')}</LifecycleConfiguration>`;
        res.writeHead(200, {
          'Content-Type': 'application/xml',
          'x-amz-transition-default-minimum-object-size': c.minimumObjectSize,
        });
        res.end(xml);
      } else if (req.method === 'PUT') {
        checkIntegrity(req, body);
        let root: XmlNode;
        try {
          root = parseXml(body.toString('utf8'));
        } catch {
          throw new S3Fault(
            400,
            'MalformedXML',
            'The XML you provided was not well-formed or did not validate against our published schema',
          );
        }
        validateConfiguration(root);
        const header = req.headers['x-amz-transition-default-minimum-object-size'];
        const minimumObjectSize = typeof header === 'string' ? header : DEFAULT_MIN_SIZE;
        if (minimumObjectSize !== DEFAULT_MIN_SIZE && minimumObjectSize !== 'varies_by_storage_class')
          throw new S3Fault(400, 'InvalidArgument', 'Invalid x-amz-transition-default-minimum-object-size');
        this.stale.set(bucket, { before: this.configurations.get(bucket), left: this.lagReads });
        this.configurations.set(bucket, { root, minimumObjectSize });
        res.writeHead(200, { 'x-amz-transition-default-minimum-object-size': minimumObjectSize }).end();
      } else if (req.method === 'DELETE') {
        this.stale.set(bucket, { before: this.configurations.get(bucket), left: this.lagReads });
        this.configurations.delete(bucket);
        res.writeHead(204).end();
      } else {
        throw new S3Fault(
          405,
          'MethodNotAllowed',
          'The specified method is not allowed against this resource.',
        );
      }
    } catch (err) {
      const f = err instanceof S3Fault ? err : new S3Fault(500, 'InternalError', String(err));
      res.writeHead(f.status, { 'Content-Type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${f.code}</Code><Message>${escape(f.message)}</Message><BucketName>${escape(bucket)}</BucketName><RequestId>fake</RequestId></Error>`,
      );
    }
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    if (!this.upstream) {
      res
        .writeHead(501, { 'Content-Type': 'application/xml' })
        .end('<Error><Code>NotImplemented</Code></Error>');
      return;
    }
    forwardRequest(this.upstream, req, res);
  }
}

export interface LifecycleS3 {
  endpoint: string;
  proxy: LifecycleS3Proxy;
  close(): Promise<void>;
}

/** s3rver with the given buckets behind the lifecycle proxy, both on 127.0.0.1. */
export async function startLifecycleS3(buckets: string[]): Promise<LifecycleS3> {
  const backend = await startS3rver(buckets);
  const proxy = new LifecycleS3Proxy(buckets, backend.endpoint);
  const endpoint = await proxy.start();
  return {
    endpoint,
    proxy,
    close: async () => {
      await proxy.close();
      await backend.close();
    },
  };
}

/** An S3 client of the project's own settings for `endpoint` (s3rver accepts any credentials). */
export async function testS3Client(endpoint: string): Promise<import('@aws-sdk/client-s3').S3Client> {
  process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';
  const { createS3Client } = await import('../../src/aws/s3-client.js');
  return createS3Client({ endpointUrl: endpoint, region: 'us-east-1' });
}
