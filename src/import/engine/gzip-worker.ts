/**
 * Worker thread of the import that compresses a batch's day files: the main thread sends every date's lines
 * in one buffer with the ranges of each date, and gets the gzip bodies back the same way, one message per
 * batch. gzip runs here synchronously, so the main thread pays nothing per file (zlib's asynchronous API
 * builds a stream, its events and callbacks for every one of thousands of small files).
 */
import { parentPort } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';

export interface GzipRequest {
  id: number;
  /** The lines of every file, back to back (its whole ArrayBuffer is moved here and back). */
  input: Uint8Array;
  /** End of each file's lines in `input` (each starts where the previous one ends). */
  ends: Uint32Array;
  level: number;
}

export type GzipResponse =
  | {
      id: number;
      /** The gzip bodies, back to back, and the end of each. */
      bodies: Uint8Array;
      ends: Uint32Array;
      /** The request's input buffer, handed back for reuse. */
      input: Uint8Array;
    }
  | { id: number; error: string };

function compress(request: GzipRequest): Extract<GzipResponse, { bodies: Uint8Array }> {
  const { input, ends, level } = request;
  const bodies: Buffer[] = new Array(ends.length);
  const bodyEnds = new Uint32Array(ends.length);
  let total = 0;
  for (let i = 0, start = 0; i < ends.length; start = ends[i]!, i++) {
    const body = gzipSync(input.subarray(start, ends[i]!), { level });
    bodies[i] = body;
    total += body.length;
    bodyEnds[i] = total;
  }
  const out = new Uint8Array(total);
  for (let i = 0, at = 0; i < bodies.length; i++) {
    out.set(bodies[i]!, at);
    at += bodies[i]!.length;
  }
  return { id: request.id, bodies: out, ends: bodyEnds, input };
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (request: GzipRequest) => {
    let response: ReturnType<typeof compress>;
    try {
      response = compress(request);
    } catch (err) {
      port.postMessage({ id: request.id, error: (err as Error).message } satisfies GzipResponse);
      return;
    }
    port.postMessage(response, [
      response.bodies.buffer as ArrayBuffer,
      response.ends.buffer as ArrayBuffer,
      response.input.buffer as ArrayBuffer,
    ]);
  });
}
