import { sleep } from '../net/retry.js';

/**
 * A client-side ceiling on request rate (sliding window of one minute), so a misconfigured schedule or a
 * large enrichment never hammers Spotify into long 429 penalties.
 */
export class RateLimiter {
  private readonly sent: number[] = [];
  /** No request before this instant: a 429's Retry-After, kept for every caller that shares this limiter. */
  private heldUntil = 0;
  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds to wait before the next request may go (0 when it may go now). */
  delayMs(): number {
    const held = this.heldUntil - this.now();
    if (held > 0) return held;
    const windowStart = this.now() - 60_000;
    while (this.sent.length && this.sent[0]! <= windowStart) this.sent.shift();
    if (this.sent.length < this.perMinute) return 0;
    return this.sent[0]! - windowStart;
  }

  /**
   * Holds every request for `ms`: Spotify's rate window is the app's, so a 429 on one endpoint (the player)
   * holds the others (recently-played) too.
   */
  hold(ms: number): void {
    this.heldUntil = Math.max(this.heldUntil, this.now() + ms);
  }

  async take(): Promise<number> {
    let waited = 0;
    for (let d = this.delayMs(); d > 0; d = this.delayMs()) {
      await sleep(d);
      waited += d;
    }
    this.sent.push(this.now());
    return waited;
  }
}
