import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { authFixture } from './fixture.js';

let fx: Awaited<ReturnType<typeof authFixture>>;
afterEach(async () => fx?.close());

async function storedAccount(stateDir: string, id: string) {
  const file = path.join(stateDir, 'accounts', `${id}.json`);
  const stat = await fs.stat(file);
  return { mode: stat.mode & 0o777, json: JSON.parse(await fs.readFile(file, 'utf8')) };
}

describe('auth login against the fake accounts service, a real HTTP client playing the browser', () => {
  it('PKCE without a client secret: S256 challenge, state, tokens and /me stored with mode 0600', async () => {
    fx = await authFixture({ secret: false });
    const { result, browsed } = await fx.browserLogin();
    expect(result.code, result.stderr).toBe(0);

    const authorize = new URL(/(http:\/\/\S+\/authorize\?\S+)/.exec(result.stdout)![1]!);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('state')).toMatch(/^[0-9a-f]{32}$/);
    expect(authorize.searchParams.get('scope')).toBe('user-read-recently-played user-read-currently-playing');
    expect(authorize.searchParams.get('redirect_uri')).toBe(fx.redirectUri);

    expect(browsed.url).toContain(`${fx.redirectUri}?code=`);
    expect(browsed.status).toBe(200);
    expect(browsed.text).toContain('It worked: Listener alice (alice) is connected');
    expect(result.stdout).toContain(
      'Connected Spotify account alice (Listener alice) (Authorization Code with PKCE)',
    );

    const { mode, json } = await storedAccount(fx.stateDir, 'alice');
    expect(mode).toBe(0o600);
    expect(json).toMatchObject({
      user_id: 'alice',
      display_name: 'Listener alice',
      scopes: ['user-read-recently-played', 'user-read-currently-playing'],
      authorized_at_known: true,
      client_id: fx.spotify.clientId,
    });
    expect(json.refresh_token).toBe(fx.spotify.users.get('alice')!.refreshToken);
    expect(Date.parse(json.access_token_expires_at)).toBeGreaterThan(Date.now() + 3_000_000);
    expect(Math.abs(Date.parse(json.authorized_at) - Date.now())).toBeLessThan(60_000);
    // The stored tokens work: a collection run uses them without any other setting.
    const run = await fx.run(['run-once', '--json']);
    expect(run.code, run.stderr).toBe(0);
  });

  it('Authorization Code with the client secret: no PKCE challenge, Basic auth accepted by the token endpoint', async () => {
    fx = await authFixture({ secret: true });
    const { result, browsed } = await fx.browserLogin();
    expect(result.code, result.stderr).toBe(0);
    const authorize = new URL(/(http:\/\/\S+\/authorize\?\S+)/.exec(result.stdout)![1]!);
    expect(authorize.searchParams.has('code_challenge')).toBe(false);
    expect(browsed.text).toContain('It worked');
    expect(result.stdout).toContain('Authorization Code with client secret');
    expect(
      fx.spotify.requests.filter((r) => r.grantType === 'authorization_code').map((r) => r.status),
    ).toEqual([200]);
    expect((await storedAccount(fx.stateDir, 'alice')).mode).toBe(0o600);
  });

  it('a wrong client secret is reported as a configuration problem with exit 2, before the browser is needed', async () => {
    fx = await authFixture({ secret: true });
    const result = await fx.run(['auth', 'login', '--no-open'], { SPOTIFY_CLIENT_SECRET: 'not-the-secret' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('check SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET');
    await expect(fs.stat(path.join(fx.stateDir, 'accounts', 'alice.json'))).rejects.toThrow();
  });

  it('refuses an answer with a wrong state: page says so, exit 3, nothing stored', async () => {
    fx = await authFixture();
    const { result, browsed } = await fx.login(async (url) => {
      const res = await fetch(url, { redirect: 'manual' });
      const callback = new URL(res.headers.get('location')!);
      callback.searchParams.set('state', 'forged-state');
      const page = await fetch(callback);
      return { status: page.status, text: await page.text() };
    });
    expect(result.code).toBe(3);
    expect(browsed.status).toBe(400);
    expect(browsed.text).toContain('Spotify login failed');
    expect(browsed.text).toContain('did not carry the `state`');
    expect(result.stderr).toContain('did not carry the `state`');
    // The code was never exchanged.
    expect(fx.spotify.requests.filter((r) => r.grantType === 'authorization_code')).toEqual([]);
    await expect(fs.stat(path.join(fx.stateDir, 'accounts', 'alice.json'))).rejects.toThrow();
  });

  it('reports access_denied on the page and exits 3', async () => {
    fx = await authFixture();
    fx.spotify.authorizeDecision = 'deny';
    const { result, browsed } = await fx.browserLogin();
    expect(result.code).toBe(3);
    expect(browsed.text).toContain('Spotify login failed');
    expect(browsed.text).toContain('access_denied');
    expect(result.stderr).toContain('Spotify answered access_denied');
    expect(fx.spotify.requests.filter((r) => r.grantType === 'authorization_code')).toEqual([]);
  });

  it('refuses a localhost redirect URI before anything starts, naming the URI to register', async () => {
    fx = await authFixture();
    const result = await fx.run(['auth', 'login', '--no-open'], {
      SPOTIFY_REDIRECT_URI: `http://localhost:${fx.port}/callback`,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"localhost"');
    expect(result.stderr).toContain(`SPOTIFY_REDIRECT_URI=http://127.0.0.1:${fx.port}/callback`);
    expect(result.stdout).not.toContain('/authorize');
    expect(fx.spotify.requests).toHaveLength(0);
  });

  it('refuses a non-loopback redirect URI too', async () => {
    fx = await authFixture();
    const result = await fx.run(['auth', 'login', '--no-open'], {
      SPOTIFY_REDIRECT_URI: 'https://example.com/callback',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not a loopback address');
  });

  it('accepts an [::1] redirect URI when IPv6 loopback is available', async () => {
    fx = await authFixture();
    const probe = await import('node:net').then(
      (net) =>
        new Promise<boolean>((resolve) => {
          const s = net.createServer();
          s.once('error', () => resolve(false));
          s.listen(0, '::1', () => s.close(() => resolve(true)));
        }),
    );
    if (!probe) return; // no IPv6 loopback on this host: nothing to prove
    const uri = `http://[::1]:${fx.port}/callback`;
    const { result, browsed } = await fx.browserLogin({ SPOTIFY_REDIRECT_URI: uri });
    expect(result.code, result.stderr).toBe(0);
    expect(browsed.url).toContain(`${uri}?code=`);
  });

  it('--no-browser: prints the URL and accepts the pasted address of the page the browser was sent to', async () => {
    fx = await authFixture({ secret: false });
    const { result } = await fx.login(
      async (url, child) => {
        const res = await fetch(url, { redirect: 'manual' });
        const location = res.headers.get('location')!;
        // Nothing listens in paste mode: the browser's page would fail to load.
        await expect(fetch(location)).rejects.toThrow();
        child.stdin!.end(`\n  ${location}  \n`);
      },
      ['auth', 'login', '--no-browser'],
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Paste the full address');
    expect(result.stdout).toContain('Connected Spotify account alice');
    expect((await storedAccount(fx.stateDir, 'alice')).mode).toBe(0o600);
  });

  it('--no-browser: a bad paste is explained and asked for again; the right address then connects', async () => {
    fx = await authFixture({ secret: false });
    const { result } = await fx.login(
      async (url, child) => {
        const res = await fetch(url, { redirect: 'manual' });
        const location = new URL(res.headers.get('location')!);
        // The code alone, then the wrong page, then the address itself.
        child.stdin!.end(`${location.searchParams.get('code')}\nhttp://127.0.0.1:8888/other\n${location}\n`);
      },
      ['auth', 'login', '--no-browser'],
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('That is not an address');
    expect(result.stdout).toContain('Paste it again and press Enter (try 2 of 3)');
    expect(result.stdout).toContain('not to the redirect path /callback');
    expect(result.stdout).toContain('(try 3 of 3)');
    expect(result.stdout).toContain('Connected Spotify account alice');
  });

  it('--no-browser: three bad pastes end the login with exit 3 and the way to start again', async () => {
    fx = await authFixture({ secret: false });
    const { result } = await fx.login(
      async (_url, child) => {
        child.stdin!.end('one\ntwo\nthree\n');
      },
      ['auth', 'login', '--no-browser'],
    );
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      'That is not an address: paste the full address the browser was sent to after the Spotify page, starting with http://. Run `spotify-pipeline auth login --no-browser` again.',
    );
  });

  it('--no-browser: a pasted address with a wrong state is refused with exit 3', async () => {
    fx = await authFixture();
    const { result } = await fx.login(
      async (url, child) => {
        const res = await fetch(url, { redirect: 'manual' });
        const location = new URL(res.headers.get('location')!);
        location.searchParams.set('state', 'x');
        child.stdin!.end(`${location}\n`);
      },
      ['auth', 'login', '--no-browser'],
    );
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('did not carry the `state`');
  });

  it('times out with a clear message and exit 3 when the browser never comes back', async () => {
    fx = await authFixture();
    const { result } = await fx.login(async () => {}, undefined, { SPOTIFY_LOGIN_TIMEOUT_SECONDS: '1' });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('Login timed out: no answer from the browser within 1 seconds');
  });

  it('with a secret, a wrong client id or secret fails at once (exit 2), before any address is printed', async () => {
    fx = await authFixture();
    for (const wrong of [{ SPOTIFY_CLIENT_ID: 'abc' }, { SPOTIFY_CLIENT_SECRET: 'not-the-secret' }]) {
      const result = await fx.run(['auth', 'login', '--no-open'], wrong);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('Spotify rejected the app credentials (invalid_client');
      expect(result.stdout).not.toContain('Open this address');
    }
    expect(
      fx.spotify.requests.filter((r) => r.grantType === 'client_credentials').map((r) => r.status),
    ).toEqual([400, 400]);
  });

  it('the fake token endpoint answers Client Credentials as Spotify documents it', async () => {
    fx = await authFixture();
    const basic = Buffer.from(`${fx.spotify.clientId}:${fx.spotify.clientSecret}`).toString('base64');
    const post = (headers: Record<string, string>) =>
      fetch(`${fx.spotify.accountsBaseUrl}/api/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
        body: 'grant_type=client_credentials',
      });
    const ok = await post({ Authorization: `Basic ${basic}` });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(body.refresh_token).toBeUndefined();
    expect((await post({})).status).toBe(400);
  });

  it('needs SPOTIFY_CLIENT_ID', async () => {
    fx = await authFixture();
    const result = await fx.run(['auth', 'login', '--no-open'], { SPOTIFY_CLIENT_ID: undefined });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('SPOTIFY_CLIENT_ID is not set');
  });
});
