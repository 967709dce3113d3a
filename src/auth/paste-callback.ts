import { createInterface } from 'node:readline';
import { AuthRequiredError } from '../errors.js';

/** Bad pastes allowed before giving up: a slip (half the address, the code alone) should not end the login. */
export const PASTE_ATTEMPTS = 3;

const AGAIN = 'Run `spotify-pipeline auth login --no-browser` again.';

/**
 * `--no-browser`: the user opens the URL on another machine, and pastes here the address the browser was
 * sent to (it fails to load there, which is expected). Returns its query parameters. A paste that is not that
 * address is explained on `out` and asked for again, up to PASTE_ATTEMPTS times: the authorization on the
 * other machine is still good, so starting over would only cost a new round trip.
 */
export async function readPastedCallback(
  input: NodeJS.ReadableStream,
  expectedPath: string,
  out?: NodeJS.WritableStream,
): Promise<URLSearchParams> {
  const rl = createInterface({ input, terminal: false });
  let attempts = 0;
  try {
    for await (const line of rl) {
      const text = line.trim();
      if (!text) continue;
      try {
        return parsePastedCallback(text, expectedPath);
      } catch (err) {
        attempts++;
        if (!out || attempts >= PASTE_ATTEMPTS)
          throw new AuthRequiredError(`${(err as Error).message} ${AGAIN}`);
        out.write(
          `${(err as Error).message}\nPaste it again and press Enter (try ${attempts + 1} of ${PASTE_ATTEMPTS}):\n`,
        );
      }
    }
  } finally {
    rl.close();
  }
  throw new AuthRequiredError(
    `No address was pasted (standard input ended): paste the full address the browser was sent to. ${AGAIN}`,
  );
}

export function parsePastedCallback(text: string, expectedPath: string): URLSearchParams {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AuthRequiredError(
      'That is not an address: paste the full address the browser was sent to after the Spotify page, starting with http://.',
    );
  }
  if (url.pathname !== expectedPath) {
    throw new AuthRequiredError(
      `The pasted address goes to ${url.pathname}, not to the redirect path ${expectedPath}: paste the address the browser was sent to after the Spotify page.`,
    );
  }
  return url.searchParams;
}
