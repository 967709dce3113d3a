/**
 * How the mappers read a field they cannot trust (record/from-api.ts, record/from-export.ts): a value of the
 * wrong type, or an empty one, becomes null rather than an error, since every field but a play's name and
 * time may be missing.
 */

/** A string with something in it (the Web API's empty strings are missing values). */
export const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** A string with more than spaces in it (an export's blank fields are missing values). */
export const nonBlank = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

export const int = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);

export const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);

/** A boolean, or 1/0: older exports give some flags as numbers. */
export const boolOrBit = (v: unknown): boolean | null =>
  typeof v === 'boolean' ? v : v === 1 ? true : v === 0 ? false : null;

/** A play's length in whole milliseconds; null when it is not a finite number of at least 0. */
export const msOf = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : null;
