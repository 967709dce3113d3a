/** What /healthz knows about the collector. */
export interface HealthState {
  /** The configured spacing of polls; healthy means a success within three of them. */
  periodMs: number;
  lastSuccessAt: number | null;
  lastOutcome: 'ok' | 'failed' | 'auth_required' | null;
  lastError: string | null;
  lastFinishedAt: number | null;
}

export interface HealthReport {
  status: 200 | 503;
  body: {
    status: 'ok' | 'unhealthy';
    reason?: string;
    last_success_at: string | null;
    last_outcome: string | null;
    last_error?: string | null;
    stale_after_seconds: number;
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Healthy while the last successful collection finished within three intervals: one failed poll is
 * not an outage (it is retried), three missed intervals are.
 */
export function evaluateHealth(state: HealthState, nowMs: number): HealthReport {
  const staleAfterMs = 3 * state.periodMs;
  const base = {
    last_success_at: iso(state.lastSuccessAt),
    last_outcome: state.lastOutcome,
    stale_after_seconds: Math.round(staleAfterMs / 1000),
  };
  if (state.lastSuccessAt !== null && nowMs - state.lastSuccessAt <= staleAfterMs) {
    return { status: 200, body: { status: 'ok', ...base } };
  }
  let reason: string;
  if (state.lastSuccessAt === null && state.lastFinishedAt === null) {
    reason = 'no collection has finished yet';
  } else if (state.lastSuccessAt === null) {
    reason = `no collection has succeeded yet; the last one ended ${state.lastOutcome}: ${state.lastError ?? 'no detail'}`;
  } else {
    const ago = Math.round((nowMs - state.lastSuccessAt) / 1000);
    reason = `the last successful collection was ${ago} s ago, more than three intervals (${base.stale_after_seconds} s)`;
    if (state.lastOutcome && state.lastOutcome !== 'ok') {
      reason += `; the last one ended ${state.lastOutcome}: ${state.lastError ?? 'no detail'}`;
    }
  }
  return { status: 503, body: { status: 'unhealthy', reason, ...base, last_error: state.lastError } };
}
