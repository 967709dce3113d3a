import { ConfigError } from '../errors.js';
import { validate, type SetupAnswers, type StorageKind } from './answers.js';
import { shownValue } from './env-file.js';
import type { SetupContext } from './setup-context.js';

/** The wizard's questions: the Spotify app, then the storage; every one has a flag, and `--yes` asks none. */
const DASHBOARD = 'https://developer.spotify.com/dashboard';

export function appInstructions(redirectUri: string): string {
  return [
    `1. Open ${DASHBOARD}`,
    '   and log in with the Spotify account that will own the app. Since',
    '   February 2026 the owner of a Development Mode app needs Premium.',
    '2. Create app: any name and description; APIs used: Web API.',
    `3. Redirect URI: add exactly ${redirectUri}`,
    '   (Spotify refuses "localhost": use the loopback address.)',
    "4. Save, then copy the Client ID from the app's Settings, and the",
    '   Client secret if you want (optional: the login works without it).',
    '5. A Development Mode app allows 5 users: add every listener',
    '   (name and Spotify e-mail) under User Management first.',
  ].join('\n');
}

/** A flag's value after its check; a bad flag stops setup before anything is written. */
export function checked(flag: string, value: string, problem: (v: string) => string | undefined): string {
  const p = problem(value);
  if (p) throw new ConfigError(`--${flag} "${value}": ${p}.`);
  return value;
}

export async function askSpotify(
  ctx: SetupContext,
  current: SetupAnswers,
): Promise<Pick<SetupAnswers, 'clientId' | 'clientSecret' | 'redirectUri'>> {
  const { flags, prompter } = ctx;
  const redirectUri =
    flags.redirectUri !== undefined
      ? checked('redirect-uri', flags.redirectUri, validate.redirectUri)
      : current.redirectUri;
  const problem = validate.redirectUri(redirectUri);
  if (problem) throw new ConfigError(problem);
  prompter.note(appInstructions(redirectUri), 'Create your Spotify app');
  const clientId =
    flags.clientId !== undefined
      ? checked('client-id', flags.clientId, validate.clientId)
      : await prompter.text({
          message: 'Spotify Client ID',
          initial: current.clientId || undefined,
          validate: validate.clientId,
        });
  let clientSecret: string | undefined;
  if (flags.clientSecret === false) clientSecret = undefined;
  else if (flags.clientSecret !== undefined) clientSecret = flags.clientSecret;
  else if (
    current.clientSecret &&
    (await prompter.confirm({
      message: `Keep the current client secret (${shownValue('SECRET', current.clientSecret)})?`,
      initial: true,
    }))
  )
    clientSecret = current.clientSecret;
  else
    clientSecret =
      (await prompter.password({
        message: 'Spotify Client secret (optional: press Enter to go without; the login works either way)',
      })) || undefined;
  return { clientId: clientId.trim(), clientSecret, redirectUri };
}

export async function askStorage(
  ctx: SetupContext,
  current: SetupAnswers,
): Promise<Pick<SetupAnswers, 'storage' | 'dataDir' | 'bucket' | 'region' | 'endpointUrl'>> {
  const { flags, prompter } = ctx;
  const storage: StorageKind =
    flags.storage !== undefined
      ? (checked('storage', flags.storage, validate.storage) as StorageKind)
      : await prompter.select<StorageKind>({
          message: 'Where should the data lake live?',
          options: [
            { value: 'local', label: 'A local folder', hint: 'default' },
            { value: 's3', label: 'An Amazon S3 bucket', hint: 'credentials from the AWS default chain' },
            { value: 's3-compatible', label: 'An S3-compatible endpoint', hint: 'MinIO, R2, Ceph' },
          ],
          initial: flags.bucket ? (flags.endpointUrl ? 's3-compatible' : 's3') : current.storage,
        });
  const ask = async (
    flag: string,
    value: string | undefined,
    message: string,
    initial: string | undefined,
    problem: (v: string | undefined) => string | undefined,
  ) =>
    value !== undefined
      ? checked(flag, value, problem)
      : (await prompter.text({ message, initial, validate: problem })).trim();
  if (storage === 'local') {
    const dataDir = await ask('data-dir', flags.dataDir, 'Lake folder', current.dataDir, validate.dataDir);
    return { storage, dataDir };
  }
  const endpointUrl =
    storage === 's3-compatible'
      ? await ask(
          'endpoint-url',
          flags.endpointUrl,
          'S3-compatible endpoint URL',
          current.endpointUrl,
          validate.endpointUrl,
        )
      : undefined;
  const bucket = await ask('bucket', flags.bucket, 'Bucket name', current.bucket, validate.bucket);
  const region = await ask(
    'region',
    flags.region,
    'Region (empty: from the AWS config chain)',
    current.region ?? '',
    validate.region,
  );
  return { storage, dataDir: current.dataDir, bucket, endpointUrl, region };
}

/** The answers over the real environment, as the Config the pipeline would see: validates them all together. */
