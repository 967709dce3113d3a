import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { parseAccountIdentifier } from '../../src/snowflake/account.js';
import { publicKeyFingerprint, signJwt } from '../../src/snowflake/jwt.js';
import { loadSnowflakeSettings } from '../../src/snowflake/settings.js';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const fp = publicKeyFingerprint(privateKey);

/** Each accepted SNOWFLAKE_ACCOUNT form, the API host it gives and the account in the JWT (Snowflake's rules). */
const FORMS: [input: string, host: string, jwt: string][] = [
  ['myorg-myaccount', 'myorg-myaccount.snowflakecomputing.com', 'MYORG-MYACCOUNT'],
  ['MyOrg-MyAccount', 'myorg-myaccount.snowflakecomputing.com', 'MYORG-MYACCOUNT'],
  ['myorg.myaccount', 'myorg-myaccount.snowflakecomputing.com', 'MYORG-MYACCOUNT'],
  ['myorg-my_account', 'myorg-my-account.snowflakecomputing.com', 'MYORG-MY_ACCOUNT'],
  ['myorg.my_account', 'myorg-my-account.snowflakecomputing.com', 'MYORG-MY_ACCOUNT'],
  ['myorg-myaccount.privatelink', 'myorg-myaccount.privatelink.snowflakecomputing.com', 'MYORG-MYACCOUNT'],
  ['myorg.myaccount.privatelink', 'myorg-myaccount.privatelink.snowflakecomputing.com', 'MYORG-MYACCOUNT'],
  ['xy12345', 'xy12345.snowflakecomputing.com', 'XY12345'],
  ['xy12345.us-east-2.aws', 'xy12345.us-east-2.aws.snowflakecomputing.com', 'XY12345'],
  ['xy12345.us-east-1', 'xy12345.us-east-1.snowflakecomputing.com', 'XY12345'],
  ['xy12345.east-us-2.azure', 'xy12345.east-us-2.azure.snowflakecomputing.com', 'XY12345'],
  ['xy12345.us-central1.gcp', 'xy12345.us-central1.gcp.snowflakecomputing.com', 'XY12345'],
  ['xy12345.us-east-2.privatelink', 'xy12345.us-east-2.privatelink.snowflakecomputing.com', 'XY12345'],
  ['xy12345.eu-central-1.snowflakecomputing.com', 'xy12345.eu-central-1.snowflakecomputing.com', 'XY12345'],
  [
    'https://myorg-myaccount.snowflakecomputing.com/',
    'myorg-myaccount.snowflakecomputing.com',
    'MYORG-MYACCOUNT',
  ],
  // Government regions: "Additional `fhplus` (`dod`) segment required after the account locator"
  // (docs.snowflake.com/en/user-guide/admin-account-identifier, non-VPS account locator formats).
  ['xy12345.fhplus.us-gov-west-1.aws', 'xy12345.fhplus.us-gov-west-1.aws.snowflakecomputing.com', 'XY12345'],
  ['xy12345.dod.us-gov-west-1.aws', 'xy12345.dod.us-gov-west-1.aws.snowflakecomputing.com', 'XY12345'],
  ['xy12345.fhplus.us-gov-east-1.aws', 'xy12345.fhplus.us-gov-east-1.aws.snowflakecomputing.com', 'XY12345'],
  [
    'xy12345.fhplus.us-gov-virginia.azure',
    'xy12345.fhplus.us-gov-virginia.azure.snowflakecomputing.com',
    'XY12345',
  ],
  ['xy12345.us-gov-west-1.aws', 'xy12345.us-gov-west-1.aws.snowflakecomputing.com', 'XY12345'],
  ['xy12345.us-west-2-gov.aws', 'xy12345.us-west-2-gov.aws.snowflakecomputing.com', 'XY12345'],
  [
    'https://xy12345.fhplus.us-gov-west-1.aws.snowflakecomputing.com',
    'xy12345.fhplus.us-gov-west-1.aws.snowflakecomputing.com',
    'XY12345',
  ],
  // China (Ningxia): "utilizes the snowflakecomputing.cn domain instead of the snowflakecomputing.com domain".
  ['xy12345.cn-northwest-1.aws', 'xy12345.cn-northwest-1.aws.snowflakecomputing.cn', 'XY12345'],
  [
    'https://xy12345.cn-northwest-1.snowflakecomputing.cn',
    'xy12345.cn-northwest-1.snowflakecomputing.cn',
    'XY12345',
  ],
  [
    'xy12345.cn-northwest-1.aws.snowflakecomputing.cn',
    'xy12345.cn-northwest-1.aws.snowflakecomputing.cn',
    'XY12345',
  ],
  ['myorg-myaccount.snowflakecomputing.cn', 'myorg-myaccount.snowflakecomputing.cn', 'MYORG-MYACCOUNT'],
  [
    'xy12345.cn-northwest-1.privatelink',
    'xy12345.cn-northwest-1.privatelink.snowflakecomputing.cn',
    'XY12345',
  ],
];

describe('SNOWFLAKE_ACCOUNT: one rule for the URL host and the JWT account', () => {
  it.each(FORMS)('%s → https://%s, JWT account %s', (input, host, jwt) => {
    const parsed = parseAccountIdentifier(input);
    expect(parsed.host).toBe(host);
    expect(parsed.jwtAccount).toBe(jwt);

    // The same value through the settings (the URL every request goes to) ...
    const settings = loadSnowflakeSettings(
      loadConfig({
        cwd: '/tmp',
        env: { SNOWFLAKE_ACCOUNT: input, SNOWFLAKE_USER: 'loader', SNOWFLAKE_PRIVATE_KEY_PATH: 'k.p8' },
      }),
    );
    expect(settings.connection!.baseUrl).toBe(`https://${host}`);
    // ... and through the JWT signer, from the connection the client is given.
    const { claims } = signJwt({ account: settings.connection!.account, user: 'loader', key: privateKey });
    expect(claims.sub).toBe(`${jwt}.LOADER`);
    expect(claims.iss).toBe(`${jwt}.LOADER.${fp}`);
  });

  it('SNOWFLAKE_API_BASE_URL still overrides the host; the JWT account comes from the account', () => {
    const s = loadSnowflakeSettings(
      loadConfig({
        cwd: '/tmp',
        env: {
          SNOWFLAKE_ACCOUNT: 'myorg.myaccount',
          SNOWFLAKE_USER: 'u',
          SNOWFLAKE_PRIVATE_KEY_PATH: 'k.p8',
          SNOWFLAKE_API_BASE_URL: 'http://127.0.0.1:9999/',
        },
      }),
    );
    expect(s.connection!.baseUrl).toBe('http://127.0.0.1:9999');
    expect(signJwt({ account: s.connection!.account, user: 'u', key: privateKey }).claims.sub).toBe(
      'MYORG-MYACCOUNT.U',
    );
  });

  it.each([
    ['', /is empty/],
    ['myorg..myaccount', /empty part/],
    ['xy12345.aws', /where a region belongs/],
    ['xy12345.us-east-2.aws.extra', /more parts/],
    ['xy12345.fhplus.us-gov-west-1.aws.extra', /more parts/],
    ['xy12345.fhplus.aws', /where a region belongs/],
    ['xy12345.us-east-2.ibm', /where the cloud/],
    ['my org', /not an account identifier/],
    ['.privatelink', /empty part|names no account/],
  ])('refuses %j naming SNOWFLAKE_ACCOUNT and the forms it takes (exit 2)', (input, why) => {
    const err = (() => {
      try {
        parseAccountIdentifier(input);
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(why);
    expect(err.message).toMatch(/SNOWFLAKE_ACCOUNT .*myorg-myaccount, xy12345\.us-east-2\.aws/);
  });
});
