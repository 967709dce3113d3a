/** The time fields every record derives from its play time. */
export interface PlayTime {
  played_at: string;
  played_at_timestamp: number;
  played_at_date: string;
  played_at_hour: number;
}

/** Parses an ISO 8601 instant; returns epoch milliseconds or null when it is not a valid instant. */
export function parseInstant(value: unknown): number | null {
  if (typeof value !== 'string' || value.length < 10) return null;
  // Require an explicit zone: a local time would be read in the machine's timezone and shift plays.
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(value.trim())) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

export function playTimeFromMs(ms: number): PlayTime {
  const iso = new Date(ms).toISOString();
  return {
    played_at: iso,
    played_at_timestamp: Math.floor(ms / 1000),
    played_at_date: iso.slice(0, 10),
    played_at_hour: new Date(ms).getUTCHours(),
  };
}

/** `YYYY-MM` of an epoch-ms instant, UTC. */
export function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}
