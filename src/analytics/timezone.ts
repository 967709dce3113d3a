import { ConfigError } from '../errors.js';

/** The machine's timezone: users think in local time. */
export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Validates an IANA timezone name (or picks the system's), failing with the fix. */
export function resolveTimeZone(tz: string | undefined): string {
  const zone = tz?.trim() || systemTimeZone();
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw new ConfigError(
      `--tz "${zone}" is not a timezone: give an IANA name such as Europe/Berlin, America/New_York or UTC.`,
    );
  }
}

/** `YYYY-MM-DD` of an instant in a timezone. */
export function localDate(instant: Date, tz: string): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(instant);
}

/**
 * An instant as people read it in a timezone: `YYYY-MM-DD HH:MM` (24-hour clock) and the zone's offset then
 * (`GMT+2`; `UTC` for a zero offset). An offset, not an abbreviation: Intl names some zones `CEST` and others
 * only `GMT+5:30`.
 */
export function localDateTime(instant: number, timeZone: string): { text: string; offset: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'shortOffset',
    })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  const offset = /^(GMT|UTC)([+-]0)?$/.test(parts.timeZoneName ?? '') ? 'UTC' : parts.timeZoneName!;
  return { text: `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`, offset };
}

/** `YYYY-MM-DD` plus `days` (negative to go back), calendar arithmetic in UTC to avoid DST. */
export function addDays(date: string, days: number): string {
  const ms = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(ms).toISOString().slice(0, 10);
}

/** Every `YYYY-MM` from `from` to `to`, inclusive. */
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  let [y, m] = from.split('-').map(Number) as [number, number];
  const [ty, tm] = to.split('-').map(Number) as [number, number];
  while (y < ty || (y === ty && m <= tm)) {
    out.push(`${y}-${String(m).padStart(2, '0')}`);
    m++;
    if (m > 12) {
      m = 1;
      y++;
    }
  }
  return out;
}
