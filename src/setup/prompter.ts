import { ConfigError } from '../errors.js';

/** How `setup` asks a question: interactively (a prompt library) or not at all (`--yes`: the default). */
export interface Prompter {
  readonly interactive: boolean;
  text(q: {
    message: string;
    initial?: string;
    validate: (v: string | undefined) => string | undefined;
  }): Promise<string>;
  password(q: { message: string }): Promise<string>;
  select<T extends string>(q: {
    message: string;
    options: { value: T; label: string; hint?: string }[];
    initial: T;
  }): Promise<T>;
  confirm(q: { message: string; initial: boolean }): Promise<boolean>;
  note(message: string, title: string): void;
  info(message: string): void;
  warn(message: string): void;
}

class CancelledError extends ConfigError {
  constructor() {
    super('Setup cancelled: nothing was written.');
  }
}

/** The answers that `setup` takes as flags, for every message that has to send a user there. */
export const SETUP_FLAGS_HINT =
  'Give the answers as flags instead: `spotify-pipeline setup --yes --client-id <id>` (add --storage, --bucket, --region, --interval as needed; `spotify-pipeline setup --help` lists them all).';

class InputEndedError extends ConfigError {
  constructor() {
    super(`setup's input ended before every question was answered: nothing was written. ${SETUP_FLAGS_HINT}`);
  }
}

/**
 * Settles with an error as soon as stdin has ended (a pipe closed, `echo | setup`): the prompt library would
 * otherwise wait on it forever and Node end the process with exit 13 and no word.
 */
function inputEnded(): { promise: Promise<never>; dispose: () => void } {
  let dispose = () => {};
  const promise = new Promise<never>((_resolve, reject) => {
    if (process.stdin.readableEnded) return reject(new InputEndedError());
    const onEnd = () => reject(new InputEndedError());
    process.stdin.once('end', onEnd);
    dispose = () => process.stdin.off('end', onEnd);
  });
  return { promise, dispose };
}

/** Prompts with @clack/prompts; Ctrl-C at any question cancels setup before anything is written. */
export async function clackPrompter(): Promise<Prompter> {
  const p = await import('@clack/prompts');
  const answer = async <T>(asked: Promise<T>): Promise<Exclude<T, symbol>> => {
    const ended = inputEnded();
    let v: T;
    try {
      v = await Promise.race([asked, ended.promise]);
    } catch (err) {
      // The prompt hid the cursor and is still drawn: show the cursor again, and start a clean line.
      process.stdout.write('\x1b[?25h\n');
      throw err;
    } finally {
      ended.dispose();
    }
    if (p.isCancel(v)) throw new CancelledError();
    return v as Exclude<T, symbol>;
  };
  return {
    interactive: true,
    text: async (q) =>
      answer(
        p.text({
          message: q.message,
          // Enter keeps the current value; typing replaces it.
          placeholder: q.initial,
          defaultValue: q.initial,
          validate: (v) => q.validate(v === '' || v === undefined ? q.initial : v),
        }),
      ),
    password: async (q) => answer(p.password({ message: q.message })),
    select: async <T extends string>(q: {
      message: string;
      options: { value: T; label: string; hint?: string }[];
      initial: T;
    }) =>
      answer(
        p.select<T>({
          message: q.message,
          // clack's Option type is conditional on the value type; a plain object is what it takes.
          options: q.options as Parameters<typeof p.select<T>>[0]['options'],
          initialValue: q.initial,
        }),
      ),
    confirm: async (q) => answer(p.confirm({ message: q.message, initialValue: q.initial })),
    note: (message, title) => p.note(message, title),
    info: (message) => p.log.info(message),
    warn: (message) => p.log.warn(message),
  };
}

/** `--yes`: every question takes its default; text goes to stdout as plain lines. */
export function defaultsPrompter(out: NodeJS.WritableStream): Prompter {
  return {
    interactive: false,
    text: async (q) => {
      const problem = q.validate(q.initial);
      if (problem)
        throw new ConfigError(
          `${q.message}: ${problem} (give it with its flag; see \`spotify-pipeline setup --help\`).`,
        );
      return q.initial!;
    },
    password: async () => '',
    select: async (q) => q.initial,
    confirm: async (q) => q.initial,
    note: (message, title) => out.write(`${title}\n${message.replace(/^/gm, '  ')}\n\n`),
    info: (message) => out.write(`${message}\n`),
    warn: (message) => out.write(`warning: ${message}\n`),
  };
}
