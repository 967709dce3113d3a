/**
 * Retained memory of the soak's child, measured exactly: the child runs with `--inspect=127.0.0.1:0`, and before
 * each retained sample the soak forces a full collection over the inspector (CDP `HeapProfiler.collectGarbage`)
 * and reads `process.memoryUsage()` in the child (`Runtime.evaluate`). The heap used right after a forced GC is
 * what the process keeps; a sample without one is mostly garbage V8 has not collected yet.
 *
 * Uses Node 20's WebSocket (`--experimental-websocket`, set by `npm run soak`), so no dependency is added, and
 * nothing in src/ knows about it.
 */

export interface Retained {
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  rss: number;
}

/** The inspector's address from the child's stderr ("Debugger listening on ws://127.0.0.1:PORT/UUID"). */
export function inspectorUrl(stderrText: string): string | undefined {
  return /Debugger listening on (ws:\/\/\S+)/.exec(stderrText)?.[1];
}

export class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, (result: unknown) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (event) => {
      const msg = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
      if (msg.id === undefined) return; // an event, not an answer
      this.pending.get(msg.id)?.(msg.result);
      this.pending.delete(msg.id);
    });
  }

  static async connect(url: string): Promise<Inspector> {
    if (typeof WebSocket === 'undefined')
      throw new Error('no WebSocket: run the soak with node --experimental-websocket (npm run soak does)');
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve());
      ws.addEventListener('error', () => reject(new Error(`inspector ${url} did not answer`)));
    });
    return new Inspector(ws);
  }

  private send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Two full collections (the second frees what the first's finalisers released), then the child's figures. */
  async retained(): Promise<Retained> {
    await this.send('HeapProfiler.collectGarbage');
    await this.send('HeapProfiler.collectGarbage');
    const r = (await this.send('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    })) as { result: { value: string } };
    return JSON.parse(r.result.value) as Retained;
  }

  close(): void {
    this.ws.close();
  }
}
