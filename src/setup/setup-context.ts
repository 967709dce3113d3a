import type { Logger } from '../log.js';
import type { Prompter } from './prompter.js';

/** The flags of `setup`. */
export interface SetupFlags {
  clientId?: string;
  /** A string, or false for `--no-client-secret` (PKCE). */
  clientSecret?: string | false;
  redirectUri?: string;
  storage?: string;
  dataDir?: string;
  bucket?: string;
  region?: string;
  endpointUrl?: string;
  interval?: string;
  yes?: boolean;
  force?: boolean;
  skipLogin?: boolean;
  skipTest?: boolean;
  browser: boolean;
  open: boolean;
  stateDir?: string;
}

/** What the wizard runs with: its flags, where it asks and where it writes. */
export interface SetupContext {
  cwd: string;
  flags: SetupFlags;
  prompter: Prompter;
  log: Logger;
  out: NodeJS.WritableStream;
}
