import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { parseAccountIdentifier } from './account.js';

/** The account part of the JWT claims (rules in account.ts, shared with the API host). */
export function jwtAccount(account: string): string {
  return parseAccountIdentifier(account).jwtAccount;
}

/** `SHA256:<base64 of the SHA-256 of the DER SubjectPublicKeyInfo>`, as DESC USER shows RSA_PUBLIC_KEY_FP. */
export function publicKeyFingerprint(key: KeyObject): string {
  const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(der).digest('base64')}`;
}

/** Reads the PKCS#8 private key (encrypted or not); a bad file or passphrase names the setting to fix. */
export function loadPrivateKey(file: string, passphrase?: string): KeyObject {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `Cannot read the Snowflake private key ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}): fix SNOWFLAKE_PRIVATE_KEY_PATH.`,
      { cause: err },
    );
  }
  const encrypted = /ENCRYPTED PRIVATE KEY/.test(pem);
  if (encrypted && !passphrase) {
    throw new ConfigError(
      `The Snowflake private key ${file} is encrypted: set SNOWFLAKE_PRIVATE_KEY_PASSPHRASE to its passphrase.`,
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem', ...(encrypted ? { passphrase } : {}) });
  } catch (err) {
    const what = encrypted
      ? 'cannot be decrypted: check SNOWFLAKE_PRIVATE_KEY_PASSPHRASE'
      : 'is not a PEM private key: point SNOWFLAKE_PRIVATE_KEY_PATH at the rsa_key.p8 made with `openssl genrsa 2048 | openssl pkcs8 -topk8 -v2 des3 -inform PEM -out rsa_key.p8`';
    throw new ConfigError(`The Snowflake private key ${file} ${what}.`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new ConfigError(
      `The Snowflake private key ${file} is a ${key.asymmetricKeyType} key; key-pair authentication needs an RSA key (2048 bits or more).`,
    );
  }
  return key;
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export interface JwtClaims {
  iss: string;
  sub: string;
  iat: number;
  exp: number;
}

/** Signs a key-pair JWT (RS256). Snowflake accepts at most one hour of lifetime. */
export function signJwt(options: {
  account: string;
  user: string;
  key: KeyObject;
  nowSeconds?: number;
  lifetimeSeconds?: number;
}): { token: string; claims: JwtClaims } {
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const lifetime = Math.min(options.lifetimeSeconds ?? 3540, 3600);
  const qualifiedUser = `${jwtAccount(options.account)}.${options.user.toUpperCase()}`;
  const claims: JwtClaims = {
    iss: `${qualifiedUser}.${publicKeyFingerprint(options.key)}`,
    sub: qualifiedUser,
    iat: now,
    exp: now + lifetime,
  };
  const signingInput = `${base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(signingInput), options.key);
  return { token: `${signingInput}.${base64url(signature)}`, claims };
}

/** Hands out a JWT, signing a fresh one a few minutes before the current one expires. */
export class JwtSource {
  private current?: { token: string; exp: number };
  constructor(
    private readonly account: string,
    private readonly user: string,
    private readonly key: KeyObject,
  ) {}

  token(): string {
    const now = Math.floor(Date.now() / 1000);
    if (!this.current || this.current.exp - now < 300) {
      const { token, claims } = signJwt({
        account: this.account,
        user: this.user,
        key: this.key,
        nowSeconds: now,
      });
      this.current = { token, exp: claims.exp };
    }
    return this.current.token;
  }
}
