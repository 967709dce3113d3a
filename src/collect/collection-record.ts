import {
  noPlays,
  RUN_RECORD_VERSION,
  type AccountRecord,
  type RunRecord,
  type RunTotals,
} from '../runs/run-record.js';
import type { SkipReason } from './collect-account.js';

export interface AccountOutcome extends Omit<AccountRecord, 'plays_by_source'> {
  plays_skipped: number;
  skipped_by_reason: Partial<Record<SkipReason, number>>;
  /** New plays kept in the state's outbox, not yet in the lake (it could not be reached): the next run writes them. */
  plays_queued?: number;
}

/** The summary of one collection run: printed, and returned by `--json` (the run history keeps its RunRecord). */
export interface RunSummary extends RunTotals {
  lake: string;
  possible_gaps: number;
  files: string[];
  api_requests: number;
  retries: number;
  rate_limited: number;
  rate_limit_wait_ms: number;
  accounts: AccountOutcome[];
  errors: string[];
}

/** The player's work between two collections (run-continuous), per account. */
export interface PlayerTally {
  polls: number;
  plays: Record<string, number>;
  files: number;
  bytes: number;
}

/** A collection's summary as its run record, with the player's plays since the previous one. */
export function collectionRecord(s: RunSummary, player?: PlayerTally): RunRecord {
  const accounts = s.accounts.map((a): AccountRecord => {
    const playerPlays = player?.plays[a.user_id] ?? 0;
    return {
      user_id: a.user_id,
      outcome: a.outcome,
      ...(a.error ? { error: a.error } : {}),
      plays_fetched: a.plays_fetched,
      plays_new: a.plays_new,
      plays_already_present: a.plays_already_present,
      plays_recovered: a.plays_recovered,
      plays_by_source: {
        ...noPlays(),
        recently_played: a.plays_new + a.plays_recovered,
        player: playerPlays,
      },
      possible_gap: a.possible_gap,
      files_written: a.files_written,
      bytes_written: a.bytes_written,
      newest_played_at: a.newest_played_at,
    };
  });
  const sum = (f: (a: AccountRecord) => number) => accounts.reduce((n, a) => n + f(a), 0);
  const recovered = sum((a) => a.plays_recovered);
  const newest =
    accounts
      .map((a) => a.newest_played_at ?? '')
      .sort()
      .at(-1) || null;
  return {
    v: RUN_RECORD_VERSION,
    run_id: s.run_id,
    command: s.command,
    outcome: s.outcome,
    exit_code: s.exit_code,
    ...(s.errors[0] ? { error: s.errors[0] } : {}),
    started_at: s.started_at,
    finished_at: s.finished_at,
    duration_ms: s.duration_ms,
    lake: s.lake,
    plays_fetched: s.plays_fetched,
    plays_new: s.plays_new,
    plays_already_present: s.plays_already_present,
    plays_skipped: s.plays_skipped,
    plays_recovered: recovered,
    plays_by_source: {
      ...noPlays(),
      recently_played: s.plays_new + recovered,
      // Plays of an account this collection did not reach still count for the whole.
      player: Object.values(player?.plays ?? {}).reduce((n, p) => n + p, 0),
    },
    files_written: s.files_written,
    bytes_written: s.bytes_written,
    newest_played_at: newest,
    accounts,
    api: {
      requests: s.api_requests,
      retries: s.retries,
      rate_limited: s.rate_limited,
      rate_limit_wait_ms: s.rate_limit_wait_ms,
      possible_gaps: s.possible_gaps,
      ...(player
        ? {
            player_polls: player.polls,
            player_files_written: player.files,
            player_bytes_written: player.bytes,
          }
        : {}),
    },
  };
}
