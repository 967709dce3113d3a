import { createInterface } from 'node:readline';
import { AuthRequiredError } from '../errors.js';

/**
 * `--no-browser`: the user opens the URL on another machine, and pastes here the address the browser was
 * sent to (it fails to load there, which is expected). Returns its query parameters.
 */
export async function readPastedCallback(
  input: NodeJS.ReadableStream,
  expectedPath: string,
): Promise<URLSearchParams> {
  const rl = createInterface({ input, terminal: false });
  try {
    for await (const line of rl) {
      const text = line.trim();
      if (!text) continue;
      return parsePastedCallback(text, expectedPath);
    }
  } finally {
    rl.close();
  }
  throw new AuthRequiredError(
    'No address was pasted (standard input ended): run `spotify-pipeline auth login --no-browser` again and paste the full address the browser was sent to.',
  );
}

export function parsePastedCallback(text: string, expectedPath: string): URLSearchParams {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AuthRequiredError(
      `That is not an address: paste the full address the browser was sent to after the Spotify page, starting with http://. Run \`spotify-pipeline auth login --no-browser\` again.`,
    );
  }
  if (url.pathname !== expectedPath) {
    throw new AuthRequiredError(
      `The pasted address goes to ${url.pathname}, not to the redirect path ${expectedPath}: paste the address the browser was sent to after the Spotify page. Run \`spotify-pipeline auth login --no-browser\` again.`,
    );
  }
  return url.searchParams;
}
