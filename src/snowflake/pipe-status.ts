/**
 * SYSTEM$PIPE_STATUS, read as documented (docs.snowflake.com/en/sql-reference/functions/system_pipe_status):
 * a JSON object with `executionState`, `pendingFileCount`, `lastIngestedTimestamp`, `lastIngestedFilePath`,
 * `error` (the last error compiling the pipe, often a dropped or inaccessible table, stage or file format),
 * `fault` (the last internal Snowflake error), `lastPipeErrorTimestamp` and `lastPipeFaultTimestamp`, among
 * others, each present only "if applicable". One rule decides whether a pipe is healthy, for `status` and `test`.
 */
export interface PipeStatus {
  pipe: string;
  executionState: string | null;
  pendingFileCount: number | null;
  lastIngestedTimestamp: string | null;
  lastIngestedFilePath: string | null;
  error: string | null;
  lastPipeErrorTimestamp: string | null;
  fault: string | null;
  lastPipeFaultTimestamp: string | null;
  /** Why the pipe is not loading, or null when it is RUNNING. */
  problem: string | null;
  raw: Record<string, unknown> | null;
}

/** What each documented non-RUNNING state means for this project, and the way out. */
const RECREATE =
  'a stopped pipe does not restart by itself: fix the cause, DROP PIPE it and run `spotify-pipeline snowflake setup` (then `--load-existing` for what it missed)';
const STATES: Record<string, string> = {
  PAUSED:
    'paused: nothing is loaded; resume it with ALTER PIPE <pipe> SET PIPE_EXECUTION_PAUSED = FALSE (after 14 days paused: SELECT SYSTEM$PIPE_FORCE_RESUME(<pipe>))',
  READ_ONLY: 'read-only (its database is a secondary replica): it loads only in the primary account',
  FAILING_OVER: 'failing over to another account: it does not load here meanwhile',
  STOPPED_CLONED: `stopped: it is a clone; ${RECREATE}`,
  STOPPED_FEATURE_DISABLED: `stopped: the feature is disabled on the account; ${RECREATE}`,
  STOPPED_STAGE_ALTERED: `stopped: its stage's location was changed; ${RECREATE}`,
  STOPPED_STAGE_DROPPED: `stopped: its stage was dropped; ${RECREATE}`,
  STOPPED_FILE_FORMAT_DROPPED: `stopped: its file format was dropped; ${RECREATE}`,
  STOPPED_NOTIFICATION_INTEGRATION_DROPPED: `stopped: its notification integration was dropped; ${RECREATE}`,
  STOPPED_MISSING_PIPE: `stopped: the pipe is missing; ${RECREATE}`,
  STOPPED_MISSING_TABLE: `stopped: its table was dropped; ${RECREATE}`,
  STALLED_COMPILATION_ERROR:
    'stalled: its COPY statement no longer compiles (see error; often a changed table or a lost privilege)',
  STALLED_INITIALIZATION_ERROR: 'stalled: it could not start (see error)',
  STALLED_EXECUTION_ERROR: 'stalled: loading fails (see error)',
  STALLED_INTERNAL_ERROR: 'stalled: an internal Snowflake error (see fault); it retries by itself',
  STALLED_STAGE_PERMISSION_ERROR:
    "stalled: Snowflake may not read the stage: check the IAM role's trust and permissions policies (`snowflake setup` prints them)",
};

/** The one health rule: only RUNNING loads; anything else, an unknown state included, is named. */
function pipeProblem(executionState: string | null): string | null {
  if (executionState === 'RUNNING') return null;
  if (executionState === null)
    return 'state unknown: SYSTEM$PIPE_STATUS gave no executionState (the pipe may not exist, or the role lacks MONITOR on it)';
  const known = STATES[executionState];
  if (known) return known;
  if (executionState.startsWith('STOPPED_')) return `stopped (${executionState}); ${RECREATE}`;
  if (executionState.startsWith('STALLED_')) return `stalled (${executionState}): see error and fault`;
  return `not running (${executionState})`;
}

/** `error` and `fault` are documented as a value, not a string: keep text as it is, show anything else as JSON. */
function text(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** SYSTEM$PIPE_STATUS answers a JSON string; an unreadable one leaves every field null (and the pipe unhealthy). */
export function parsePipeStatus(pipe: string, answer: string | null): PipeStatus {
  let raw: Record<string, unknown> | null = null;
  try {
    const parsed: unknown = answer ? JSON.parse(answer) : null;
    raw =
      parsed && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : null;
  } catch {
    raw = null;
  }
  const field = (k: string) => text(raw?.[k]);
  const executionState = field('executionState');
  const count = raw?.pendingFileCount;
  return {
    pipe,
    executionState,
    pendingFileCount:
      count === null || count === undefined || Number.isNaN(Number(count)) ? null : Number(count),
    lastIngestedTimestamp: field('lastIngestedTimestamp'),
    lastIngestedFilePath: field('lastIngestedFilePath'),
    error:
      field('error') ??
      (answer && !raw ? `unreadable SYSTEM$PIPE_STATUS answer: ${answer.slice(0, 200)}` : null),
    lastPipeErrorTimestamp: field('lastPipeErrorTimestamp'),
    fault: field('fault'),
    lastPipeFaultTimestamp: field('lastPipeFaultTimestamp'),
    problem: pipeProblem(executionState),
    raw,
  };
}

/** A pipe whose SYSTEM$PIPE_STATUS Snowflake refused (missing, or the role lacks MONITOR): not healthy, named. */
export function unreadablePipeStatus(pipe: string, message: string): PipeStatus {
  return {
    ...parsePipeStatus(pipe, null),
    error: message,
    problem: `SYSTEM$PIPE_STATUS was refused: the pipe does not exist (run \`spotify-pipeline snowflake setup\`) or the role lacks MONITOR on it (GRANT MONITOR ON PIPE ${pipe} TO ROLE <role>;)`,
  };
}

/** One line per pipe, then its error and fault with their times. */
export function formatPipeStatus(p: PipeStatus): string[] {
  const lines = [
    `${p.problem ? '✗' : '✓'} pipe ${p.pipe}: ${p.executionState ?? 'unknown'}, ${p.pendingFileCount ?? '?'} file(s) pending, last ingested ${p.lastIngestedTimestamp ?? 'never'}`,
  ];
  if (p.problem) lines.push(`    ${p.problem}`);
  if (p.error)
    lines.push(`    error${p.lastPipeErrorTimestamp ? ` (${p.lastPipeErrorTimestamp})` : ''}: ${p.error}`);
  else if (p.lastPipeErrorTimestamp) lines.push(`    last error at ${p.lastPipeErrorTimestamp}`);
  if (p.fault)
    lines.push(`    fault${p.lastPipeFaultTimestamp ? ` (${p.lastPipeFaultTimestamp})` : ''}: ${p.fault}`);
  else if (p.lastPipeFaultTimestamp) lines.push(`    last fault at ${p.lastPipeFaultTimestamp}`);
  return lines;
}
