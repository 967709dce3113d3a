import type { CustomField } from './field-rules.js';

/** What a transform is told about the record it is given (read-only). */
export interface TransformContext {
  /** Which dataset: a track play or a podcast episode. */
  kind: 'track' | 'episode';
  /** The record's data_source. */
  source: string;
  /** The account (Spotify user id) the play belongs to. */
  userId: string;
  /** TRANSFORM_TIMEZONE (IANA name, default UTC): the user's zone for local-time fields. */
  timeZone: string;
}

/** Messages between the pipeline and the transform thread (transform-worker.ts). */
export type ToWorker = {
  type: 'run';
  id: number;
  kind: TransformContext['kind'];
  timeZone: string;
  records: Record<string, unknown>[];
};

export type FromWorker =
  | { type: 'ready'; fields: CustomField[] }
  | { type: 'load_error'; message: string }
  | { type: 'progress'; id: number }
  | { type: 'done'; id: number; values: unknown[][] }
  | { type: 'failed'; id: number; index: number; field?: string; problem: string };
