/**
 * S3 with conditional writes, for tests: an HTTP proxy on 127.0.0.1 in front of s3rver that enforces what
 * s3rver ignores (If-None-Match / If-Match on writes), the way Amazon S3 documents and answers them:
 *
 * - PutObject `If-None-Match: *` on an existing key: 412 PreconditionFailed (nothing written).
 * - PutObject `If-Match: <etag>` on an existing key with another ETag: 412 PreconditionFailed; on a key that
 *   has no object: 404 NoSuchKey (the user guide's "Conditional write behavior": "If there's no current object
 *   version with the same name, ... the operation fails with a 404 Not Found error"). `If-Match: *` asks only
 *   that an object exist.
 * - DeleteObject `If-Match: <etag>|*` (conditional deletes, general purpose buckets since 2025): 204 when it
 *   holds, 412 PreconditionFailed on another ETag, 404 NoSuchKey when there is no object. An unconditional
 *   delete of a missing key stays 204.
 * - A conditional write that arrives while another write on the same key is still in flight: 409
 *   ConditionalRequestConflict ("A conflicting conditional operation is currently in progress"). Unconditional
 *   writes queue behind the one in flight instead, so every write is linearizable.
 * - `If-None-Match` with anything but `*` on a write: 501 NotImplemented (S3 accepts only the asterisk).
 * - A read of a key while a write of it is applied gets the whole old or the whole new object (S3's
 *   consistency model), never the half-written file s3rver would serve.
 *
 * Errors carry S3's XML error body (`<Error><Code>…</Code><Message>…</Message>…<RequestId>`); HEAD errors
 * have no body, as on S3. ETags are s3rver's (quoted MD5), so PutObject, GetObject and HeadObject agree.
 * Path-style addressing only (`forcePathStyle: true`, as the project uses with S3_ENDPOINT_URL).
 * Not enforced: DeleteObjects' per-object <ETag>, CompleteMultipartUpload's headers (the pipeline uses neither).
 *
 * Test controls: every request is recorded by kind (GET, HEAD, PUT, DELETE, LIST, OTHER) with its key, so a
 * test or benchmark can count requests under a key prefix; fault rules answer the next N matching requests
 * with an S3 error (500 InternalError, 503 SlowDown…), hang them (no answer until the client gives up or the
 * server closes), drop the connection, or hold them at a gate the test opens (for deterministic races).
 * `enforce(policy)` makes it authorize every request against an IAM policy as S3 does (s3-policy.ts),
 * including S3's 403 for a missing key when no s3:ListBucket applies.
 */
import { randomBytes } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { PolicyDocument } from '../../src/aws/iam-policy.js';
import { startS3rver } from '../helpers/s3rver.js';
import { LIST_PARAMS, policyRefusal } from './s3-policy.js';

export type RequestKind = 'GET' | 'HEAD' | 'PUT' | 'DELETE' | 'LIST' | 'OTHER';

export interface RecordedS3Request {
  kind: RequestKind;
  method: string;
  bucket: string;
  /** The object key; for LIST the `prefix` parameter (empty when none). */
  key: string;
  /** Which precondition the request carried, if any. */
  condition?: 'If-None-Match' | 'If-Match';
  /** The status the client got; undefined while in flight, or when the connection was dropped or hung. */
  status?: number;
  /** The fault rule that answered it, if any. */
  fault?: FaultAction['type'];
}

export interface RequestFilter {
  kind?: RequestKind | readonly RequestKind[];
  /** Matches keys (and LIST prefixes) that start with it. */
  prefix?: string;
  bucket?: string;
}

export type FaultAction =
  /** Answer with this status and S3's XML error (code defaults by status: 500 InternalError, 503 SlowDown…). */
  | { type: 'error'; status: number; code?: string; message?: string }
  /** Never answer: the client times out (or the server closes). */
  | { type: 'hang' }
  /** Destroy the socket: the client sees a reset connection. */
  | { type: 'drop' };

export interface FaultRule extends RequestFilter {
  /** How many matching requests it answers (default 1). */
  times?: number;
  /**
   * 'before' (default): the request never reaches the store. 'after': it is applied (a PUT lands), then the
   * client gets the fault instead of the answer: the ambiguous failure a retrying client must survive.
   */
  when?: 'before' | 'after';
}

export interface Gate {
  /** Resolves when a matching request has reached the gate (a write holds its key's in-flight slot there). */
  readonly reached: Promise<RecordedS3Request>;
  /** Lets the held request go on to the store. */
  release(): void;
}

const ERROR_MESSAGES: Record<string, string> = {
  PreconditionFailed: 'At least one of the pre-conditions you specified did not hold',
  ConditionalRequestConflict:
    'A conflicting conditional operation is currently in progress against this resource. Please try again.',
  NoSuchKey: 'The specified key does not exist.',
  NotImplemented: 'A header you provided implies functionality that is not implemented',
  InternalError: 'We encountered an internal error. Please try again.',
  SlowDown: 'Please reduce your request rate.',
  ServiceUnavailable: 'Service is unable to handle request.',
  AccessDenied: 'Access Denied',
};

function defaultCode(status: number): string {
  if (status === 503) return 'SlowDown';
  if (status === 403) return 'AccessDenied';
  if (status === 404) return 'NoSuchKey';
  if (status === 412) return 'PreconditionFailed';
  if (status === 409) return 'ConditionalRequestConflict';
  return 'InternalError';
}

/** Headers that belong to one hop, not to the request the proxy forwards (the body is re-sent whole). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'expect', 'content-length']);

interface ActiveFault {
  rule: FaultRule;
  action: FaultAction;
  left: number;
}

interface ActiveGate {
  filter: RequestFilter;
  arrived: (r: RecordedS3Request) => void;
  opened: Promise<void>;
  taken: boolean;
}

/** Per-key chains of writes: `busy` says a write is in flight, `acquire` waits for the ones before it. */
class KeyLocks {
  private readonly tails = new Map<string, Promise<void>>();

  busy(key: string): boolean {
    return this.tails.has(key);
  }

  async acquire(key: string): Promise<() => void> {
    const before = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = before.then(() => mine);
    this.tails.set(key, tail);
    await before;
    return () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}

function parseTarget(req: IncomingMessage): {
  bucket: string;
  key: string;
  rawPath: string;
  query: URLSearchParams;
} {
  const url = new URL(req.url ?? '/', 'http://proxy');
  const [, bucket = '', ...rest] = url.pathname.split('/');
  return {
    bucket: decodeURIComponent(bucket),
    key: decodeURIComponent(rest.join('/')),
    rawPath: url.pathname,
    query: url.searchParams,
  };
}

function kindOf(method: string, key: string, query: URLSearchParams): RequestKind {
  if (key === '') {
    const subresource = [...query.keys()].some((k) => !LIST_PARAMS.has(k));
    return method === 'GET' && !subresource ? 'LIST' : 'OTHER';
  }
  if (method === 'GET' || method === 'HEAD' || method === 'PUT' || method === 'DELETE') return method;
  return 'OTHER';
}

function matches(filter: RequestFilter, r: RecordedS3Request): boolean {
  if (filter.kind !== undefined) {
    const kinds = typeof filter.kind === 'string' ? [filter.kind] : filter.kind;
    if (!kinds.includes(r.kind)) return false;
  }
  if (filter.bucket !== undefined && filter.bucket !== r.bucket) return false;
  if (filter.prefix !== undefined && !r.key.startsWith(filter.prefix)) return false;
  return true;
}

/** S3 compares entity tags as strings; clients send them quoted or bare. */
function sameEtag(a: string, b: string): boolean {
  const bare = (s: string) => s.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  return bare(a) === bare(b);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export class ConditionalS3Proxy {
  readonly requests: RecordedS3Request[] = [];
  private readonly faults: ActiveFault[] = [];
  private readonly gates: ActiveGate[] = [];
  private readonly locks = new KeyLocks();
  /** Per key: a write being applied, or a read being served (see handle). */
  private readonly applying = new KeyLocks();
  private readonly sockets = new Set<Socket>();
  private readonly backend: URL;
  private policy?: PolicyDocument;
  private server?: Server;
  endpoint = '';

  constructor(backendEndpoint: string) {
    this.backend = new URL(backendEndpoint);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.sendError(res, req.method ?? 'GET', 500, 'InternalError', String(err));
        else res.destroy();
      });
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    for (const g of this.gates) g.taken = true;
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** How many requests matched the filter (all of them without one). */
  count(filter: RequestFilter = {}): number {
    return this.requests.filter((r) => matches(filter, r)).length;
  }

  /** Requests by kind, optionally only those under a key prefix / in a bucket. */
  counts(filter: Omit<RequestFilter, 'kind'> = {}): Record<RequestKind, number> {
    const out: Record<RequestKind, number> = { GET: 0, HEAD: 0, PUT: 0, DELETE: 0, LIST: 0, OTHER: 0 };
    for (const r of this.requests) if (matches(filter, r)) out[r.kind] += 1;
    return out;
  }

  resetCounts(): void {
    this.requests.length = 0;
  }

  /** Answers the next `times` (default 1) matching requests with `action` instead of the store's answer. */
  inject(rule: FaultRule, action: FaultAction): void {
    this.faults.push({ rule, action, left: rule.times ?? 1 });
  }

  /** Shorthand: the next matching requests get `status` with S3's XML error. */
  fail(rule: FaultRule & { status: number; code?: string }): void {
    const { status, code, ...filter } = rule;
    this.inject(filter, { type: 'error', status, code });
  }

  hang(rule: FaultRule = {}): void {
    this.inject(rule, { type: 'hang' });
  }

  drop(rule: FaultRule = {}): void {
    this.inject(rule, { type: 'drop' });
  }

  /** From now on every request is authorized against `policy` as S3 would (undefined: everything goes). */
  enforce(policy: PolicyDocument | undefined): void {
    this.policy = policy;
  }

  /** Removes every fault rule that has not fired yet. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  /**
   * Holds the next matching request until `release()`: a write is held after it took its key's in-flight
   * slot and passed its precondition, before it reaches the store (so a second conditional write gets 409).
   */
  hold(filter: RequestFilter): Gate {
    let arrived!: (r: RecordedS3Request) => void;
    const reached = new Promise<RecordedS3Request>((resolve) => (arrived = resolve));
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    this.gates.push({ filter, arrived, opened, taken: false });
    return { reached, release: open };
  }

  private takeFault(r: RecordedS3Request, when: 'before' | 'after'): FaultAction | undefined {
    for (const f of this.faults) {
      if (f.left > 0 && (f.rule.when ?? 'before') === when && matches(f.rule, r)) {
        f.left -= 1;
        return f.action;
      }
    }
    return undefined;
  }

  private async passGate(r: RecordedS3Request): Promise<void> {
    const gate = this.gates.find((g) => !g.taken && matches(g.filter, r));
    if (!gate) return;
    gate.taken = true;
    gate.arrived(r);
    await gate.opened;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const target = parseTarget(req);
    const kind = kindOf(method, target.key, target.query);
    const ifNoneMatch = req.headers['if-none-match'];
    const ifMatch = req.headers['if-match'];
    const isWrite = kind === 'PUT' || kind === 'DELETE';
    const conditional = isWrite && (ifNoneMatch !== undefined || ifMatch !== undefined);
    const record: RecordedS3Request = {
      kind,
      method,
      bucket: target.bucket,
      key: kind === 'LIST' ? (target.query.get('prefix') ?? '') : target.key,
      ...(conditional ? { condition: ifNoneMatch !== undefined ? 'If-None-Match' : 'If-Match' } : {}),
    };
    this.requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));

    const before = this.takeFault(record, 'before');
    if (before) {
      record.fault = before.type;
      await readBody(req);
      return this.applyFault(req, res, before);
    }

    if (this.policy) {
      const refusal = await policyRefusal(
        this.policy,
        { method, bucket: target.bucket, key: target.key, query: target.query, headers: req.headers },
        async () => (await this.currentEtag(target.rawPath)) !== undefined,
      );
      if (refusal) {
        await readBody(req);
        return this.sendError(
          res,
          method,
          403,
          'AccessDenied',
          undefined,
          undefined,
          `Access Denied (${refusal.missing})`,
        );
      }
    }

    // A conditional write that meets another write of the same key in flight is refused, as S3 does.
    const lockKey = `${target.bucket}/${target.key}`;
    if (conditional && this.locks.busy(lockKey)) {
      await readBody(req);
      return this.sendError(res, method, 409, 'ConditionalRequestConflict', undefined, target.key);
    }
    const unlock = isWrite ? await this.locks.acquire(lockKey) : undefined;
    let unapply: (() => void) | undefined;
    try {
      const body = await readBody(req);
      if (conditional) {
        const refusal = await this.checkPrecondition(target, method, ifNoneMatch, ifMatch);
        if (refusal)
          return this.sendError(res, method, refusal.status, refusal.code, refusal.condition, target.key);
      }
      await this.passGate(record);
      const after = this.takeFault(record, 'after');
      // S3 serves a whole object, the old one or the new one, never part of a write being applied; s3rver
      // writes and reads the object's file in place. So applying a write (its body already received) and
      // serving a read of the same key never overlap here.
      if (isWrite || kind === 'GET' || kind === 'HEAD') unapply = await this.applying.acquire(lockKey);
      const answer = await this.forward(req, body);
      if (after) {
        answer.resume();
        unapply?.();
        unapply = undefined;
        record.fault = after.type;
        return this.applyFault(req, res, after);
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      await new Promise<void>((resolve, reject) => {
        answer.pipe(res);
        answer.on('end', resolve);
        answer.on('error', reject);
      });
    } finally {
      unapply?.();
      unlock?.();
    }
  }

  private async checkPrecondition(
    target: { rawPath: string },
    method: string,
    ifNoneMatch: string | undefined,
    ifMatch: string | undefined,
  ): Promise<{ status: number; code: string; condition?: string } | undefined> {
    if (ifNoneMatch !== undefined && (method !== 'PUT' || ifNoneMatch.trim() !== '*')) {
      return { status: 501, code: 'NotImplemented', condition: 'If-None-Match' };
    }
    const current = await this.currentEtag(target.rawPath);
    if (ifNoneMatch !== undefined && current !== undefined) {
      return { status: 412, code: 'PreconditionFailed', condition: 'If-None-Match' };
    }
    if (ifMatch !== undefined) {
      if (current === undefined) return { status: 404, code: 'NoSuchKey' };
      if (ifMatch.trim() !== '*' && !sameEtag(ifMatch, current)) {
        return { status: 412, code: 'PreconditionFailed', condition: 'If-Match' };
      }
    }
    return undefined;
  }

  /** The object's ETag as s3rver would return it, or undefined when there is none (an anonymous HEAD). */
  private currentEtag(rawPath: string): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      const head = httpRequest(
        { host: this.backend.hostname, port: this.backend.port, method: 'HEAD', path: rawPath },
        (answer) => {
          answer.resume();
          if (answer.statusCode === 404) return resolve(undefined);
          if (answer.statusCode !== 200)
            return reject(new Error(`s3rver HEAD ${rawPath}: ${answer.statusCode}`));
          resolve(String(answer.headers.etag ?? ''));
        },
      );
      head.on('error', reject);
      head.end();
    });
  }

  private forward(req: IncomingMessage, body: Buffer): Promise<IncomingMessage> {
    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      // s3rver does not evaluate conditions on writes; they were checked here. The Host header stays (signed).
      if (!HOP_BY_HOP.has(name) && name !== 'if-none-match' && name !== 'if-match') headers[name] = value;
    }
    if (body.length > 0 || req.method === 'PUT' || req.method === 'POST')
      headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const out = httpRequest(
        { host: this.backend.hostname, port: this.backend.port, method: req.method, path: req.url, headers },
        resolve,
      );
      out.on('error', reject);
      out.end(body);
    });
  }

  private applyFault(req: IncomingMessage, res: ServerResponse, action: FaultAction): void {
    if (action.type === 'drop') {
      req.socket.destroy();
      return;
    }
    if (action.type === 'hang') return; // the socket stays open until the client gives up or close()
    this.sendError(
      res,
      req.method ?? 'GET',
      action.status,
      action.code ?? defaultCode(action.status),
      undefined,
      undefined,
      action.message,
    );
  }

  private sendError(
    res: ServerResponse,
    method: string,
    status: number,
    code: string,
    condition?: string,
    key?: string,
    message?: string,
  ): void {
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    const hostId = randomBytes(24).toString('base64');
    const headers = {
      'x-amz-request-id': requestId,
      'x-amz-id-2': hostId,
      'content-type': 'application/xml',
    };
    if (method === 'HEAD') {
      res.writeHead(status, headers);
      res.end();
      return;
    }
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Error><Code>${code}</Code><Message>${escapeXml(message ?? ERROR_MESSAGES[code] ?? code)}</Message>` +
      (condition ? `<Condition>${condition}</Condition>` : '') +
      (key !== undefined && code === 'NoSuchKey' ? `<Key>${escapeXml(key)}</Key>` : '') +
      `<RequestId>${requestId}</RequestId><HostId>${hostId}</HostId></Error>`;
    res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(xml) });
    res.end(xml);
  }
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface ConditionalS3 {
  /** The proxy: point S3_ENDPOINT_URL / the SDK here. */
  endpoint: string;
  /** s3rver itself, which ignores conditions (for tests that show why the proxy exists). */
  backendEndpoint: string;
  proxy: ConditionalS3Proxy;
  close(): Promise<void>;
}

/** s3rver with the given buckets behind a conditional-write proxy, both on 127.0.0.1. */
export async function startConditionalS3(buckets: string[]): Promise<ConditionalS3> {
  const backend = await startS3rver(buckets);
  const proxy = new ConditionalS3Proxy(backend.endpoint);
  const endpoint = await proxy.start();
  return {
    endpoint,
    backendEndpoint: backend.endpoint,
    proxy,
    close: async () => {
      await proxy.close();
      await backend.close();
    },
  };
}
