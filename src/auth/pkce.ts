import { createHash, randomBytes } from 'node:crypto';

/** A PKCE pair (RFC 7636): a 64-character verifier and its S256 challenge. */
export function createPkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** An unguessable `state`, so a callback that we did not ask for is refused. */
export function createState(): string {
  return randomBytes(16).toString('hex');
}
