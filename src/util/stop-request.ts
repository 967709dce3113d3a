import { PipelineError, type ExitCodeValue } from '../errors.js';
import type { Logger } from '../log.js';

/**
 * SIGINT and SIGTERM for every command (docs/operations.md, "Stopping a command").
 *
 * Every command installs the handlers (installStopHandlers), so a signal is never ignored, not even by Node as
 * PID 1 in a container (the kernel delivers to PID 1 only the signals it handles). What a signal does depends on
 * what the command is doing:
 * - work that holds the lake's lease or is writing (a collection, an import, a migration) registers with
 *   cooperateOnStop: the first signal asks it to stop at its next safe point (between accounts, between an
 *   import's batches), where it releases the lease and exits 128 + the signal's number (130, 143);
 * - anything else has nothing to finish (reads, or writes that are atomic), so the signal ends it at once with
 *   the same exit code;
 * - a second signal ends the process at once: safe too (the outbox finishes an interrupted write on the next
 *   start), only the lease is then left to lapse (LEASE_TTL_SECONDS) instead of being released.
 */

export type StopSignalName = 'SIGINT' | 'SIGTERM';
const SIGNALS: StopSignalName[] = ['SIGINT', 'SIGTERM'];

/** 128 + the signal's number, as shells, Docker and Kubernetes report a process ended by it. */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const satisfies Record<
  StopSignalName,
  ExitCodeValue
>;

/** A command that stopped at a safe point because a signal asked it to. */
export class StoppedError extends PipelineError {
  constructor(
    readonly signal: StopSignalName,
    where: string,
  ) {
    super(
      `stopped by ${signal} ${where}. What was written is complete; run the same command again to continue (nothing already collected is lost).`,
      SIGNAL_EXIT_CODES[signal],
    );
    this.name = 'StoppedError';
  }
}

interface Cooperator {
  log: Logger;
  /** Logged at the first signal; none when the cooperator logs its own. */
  message?: string;
}

let installed = false;
let requested: StopSignalName | null = null;
const controller = new AbortController();
const cooperators: Cooperator[] = [];
let beforeExit: ((signal: StopSignalName) => void) | undefined;

/**
 * Installs the SIGINT/SIGTERM handlers for the life of the process (once; later calls only replace
 * `onExit`). `onExit` runs just before a signal ends the process at once (a `--json` run prints its one object).
 */
export function installStopHandlers(onExit?: (signal: StopSignalName) => void): void {
  beforeExit = onExit;
  if (installed) return;
  installed = true;
  for (const signal of SIGNALS) process.on(signal, () => onSignal(signal));
}

/** Whether the process-wide handlers are in place (a command's, not a unit test's). */
export function stopHandlersInstalled(): boolean {
  return installed;
}

function onSignal(signal: StopSignalName): void {
  const current = cooperators.at(-1);
  if (requested !== null && current) {
    current.log.warn(
      { signal },
      'second signal: exiting now; the next start finishes any interrupted write (nothing is lost), and the lease lapses after LEASE_TTL_SECONDS instead of being released',
    );
  }
  if (requested !== null || !current) {
    beforeExit?.(signal);
    process.exit(SIGNAL_EXIT_CODES[signal]);
  }
  requested = signal;
  if (current.message) current.log.info({ signal }, current.message);
  controller.abort(signal);
}

/**
 * Registers work that stops at its own safe points: until the returned function is called, a first signal
 * only marks the stop as requested (stopRequested, stopSignal) instead of ending the process.
 */
export function cooperateOnStop(log: Logger, message?: string): () => void {
  const entry: Cooperator = { log, message };
  cooperators.push(entry);
  return () => {
    const i = cooperators.indexOf(entry);
    if (i >= 0) cooperators.splice(i, 1);
  };
}

/** The signal that asked the process to stop, or null. */
export function stopRequested(): StopSignalName | null {
  return requested;
}

/** Aborted when a stop is requested (to end a wait early). */
export function stopSignal(): AbortSignal {
  return controller.signal;
}

/** A safe point: throws StoppedError when a stop was requested. `where` completes "stopped by SIGTERM …". */
export function throwIfStopRequested(where: string): void {
  if (requested !== null) throw new StoppedError(requested, where);
}
