import { promises as dns } from 'node:dns';
import net from 'node:net';

/** How long the loopback connect may take: a local port answers at once or not at all. */
const CONNECT_TIMEOUT_MS = 2_000;

/**
 * Why `baseUrl` cannot be reached in a way no retry can fix, or undefined when it may be reachable (the
 * normal requests, with their retries for transient failures, then find out). Two such cases: a host name
 * that does not exist (DNS says so, as opposed to a DNS server that does not answer), and a loopback
 * address where nothing listens (connection refused: no network is in between that could recover).
 */
export async function permanentlyUnreachable(baseUrl: string, setting: string): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return undefined;
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: { address: string }[];
  try {
    addresses = await dns.lookup(host, { all: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND')
      return `the host name ${host} (${setting}=${baseUrl}) cannot be resolved (DNS: ENOTFOUND): check the name in ${setting} (unset, Spotify's own is used) and this machine's network and DNS; retrying cannot help.`;
    return undefined;
  }
  if (addresses.length === 0 || !addresses.every((a) => isLoopback(a.address))) return undefined;
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const refused = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: addresses[0]!.address, port });
    const done = (value: boolean) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(false));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED'));
  });
  return refused
    ? `nothing listens at ${url.origin} (${setting}; connection refused on this machine): start that server or fix ${setting}; retrying cannot help.`
    : undefined;
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address === '::ffff:127.0.0.1';
}
