import { ConfigError } from '../errors.js';

/**
 * Snowflake's account identifier rules, in one place: what SNOWFLAKE_ACCOUNT may look like, the host the APIs
 * live on, and the account part of the key-pair JWT. From "Account identifiers" and "Connecting to your
 * accounts" (docs.snowflake.com/en/user-guide/admin-account-identifier, .../organizations-connect):
 *
 * - `orgname-accountname` (preferred): host `orgname-accountname.snowflakecomputing.com`, JWT `ORGNAME-ACCOUNTNAME`.
 *   The `orgname.accountname` spelling (used in SQL, e.g. for shares) names the same account; a dot is not
 *   valid there in a host, so it becomes a hyphen in both.
 * - a legacy account locator, alone (`xy12345`, AWS US West) or with its region and cloud
 *   (`xy12345.us-east-2.aws`): the host keeps the region, the JWT account is the locator alone.
 * - a locator in a government region carries its compliance segment between the locator and the region
 *   (`xy12345.fhplus.us-gov-west-1.aws`, `xy12345.dod.us-gov-west-1.aws`, `xy12345.fhplus.us-gov-virginia.azure`):
 *   "Additional `fhplus` segment required after the account locator". The host keeps it; the JWT does not.
 * - either form followed by `.privatelink`: a private-connectivity host; `privatelink` is not part of the
 *   account, so the JWT account does not change.
 * - a full host or URL (`https://xy12345.snowflakecomputing.com/`) is accepted and reduced to the identifier.
 * - China (Ningxia, `xy12345.cn-northwest-1.aws`) "utilizes the `snowflakecomputing.cn` domain instead of the
 *   `snowflakecomputing.com` domain": a `cn-` region, or a host or URL the user pasted with `.cn`, gives a
 *   `.snowflakecomputing.cn` host. An org-account name alone cannot tell China apart: paste its URL (with `.cn`).
 *
 * Underscores in an account name are kept in the JWT and written as hyphens in the host (both are accepted by
 * Snowflake; the hyphen form is the one every HTTP stack takes).
 */
export interface AccountIdentifier {
  /** As the user wrote it, without scheme and domain, lower case. */
  identifier: string;
  /** API host, e.g. `myorg-myaccount.snowflakecomputing.com`. */
  host: string;
  /** The account part of the JWT `iss`/`sub` claims, e.g. `MYORG-MYACCOUNT` or `XY12345`. */
  jwtAccount: string;
  form: 'org-account' | 'locator';
  privatelink: boolean;
  /** `fhplus` or `dod`: the government compliance segment of a locator identifier. */
  compliance?: string;
  /** The API domain: `.snowflakecomputing.cn` in China, else `.snowflakecomputing.com`. */
  domain: string;
}

const DOMAIN = '.snowflakecomputing.com';
const CHINA_DOMAIN = '.snowflakecomputing.cn';
/** The compliance segments of government-region locators (Account identifiers, "Non-VPS account locator formats"). */
const COMPLIANCE = /^(fhplus|dod)$/;
const NAME = /^[a-z][a-z0-9_]*$/;
const ORG_ACCOUNT = /^[a-z][a-z0-9]*-[a-z][a-z0-9_]*$/;
const LOCATOR = /^[a-z]{1,3}[0-9]{3,}$/;
/** A region id always holds a hyphen (us-east-2, east-us-2, europe-west4); the cloud is aws, azure or gcp. */
const REGION = /^[a-z]+(-[a-z0-9]+)+$/;
const CLOUD = /^(aws|azure|gcp)$/;

function invalid(value: string, why: string): ConfigError {
  return new ConfigError(
    `SNOWFLAKE_ACCOUNT (got "${value}") ${why}: use the account identifier as in your Snowflake URL, for example myorg-myaccount, xy12345.us-east-2.aws, xy12345.fhplus.us-gov-west-1.aws, myorg-myaccount.privatelink, or the URL itself (https://xy12345.cn-northwest-1.snowflakecomputing.cn in China).`,
  );
}

export function parseAccountIdentifier(value: string): AccountIdentifier {
  let id = value.trim().toLowerCase();
  id = id.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  let china = false;
  if (id.endsWith(DOMAIN)) id = id.slice(0, -DOMAIN.length);
  else if (id.endsWith(CHINA_DOMAIN)) {
    id = id.slice(0, -CHINA_DOMAIN.length);
    china = true;
  }
  if (!id) throw invalid(value, 'is empty');
  let parts = id.split('.');
  if (parts.some((p) => !p)) throw invalid(value, 'has an empty part between dots');
  const privatelink = parts.at(-1) === 'privatelink';
  if (privatelink) parts = parts.slice(0, -1);
  if (!parts.length) throw invalid(value, 'names no account before .privatelink');

  let form: AccountIdentifier['form'];
  let jwtName: string;
  let hostName: string;
  let compliance: string | undefined;
  const [first, ...rest] = parts as [string, ...string[]];
  if (rest.length === 0 && ORG_ACCOUNT.test(first)) {
    form = 'org-account';
    jwtName = first;
    hostName = first;
  } else if (rest.length === 1 && NAME.test(first) && NAME.test(rest[0]!) && !CLOUD.test(rest[0]!)) {
    // orgname.accountname: the SQL spelling of orgname-accountname.
    form = 'org-account';
    jwtName = `${first}-${rest[0]}`;
    hostName = jwtName;
  } else if (LOCATOR.test(first) || NAME.test(first)) {
    // A locator, alone or with [compliance.]region[.cloud]: those parts go to the host only.
    const withCompliance = rest[0] !== undefined && COMPLIANCE.test(rest[0]);
    if (withCompliance) compliance = rest[0];
    const [region, cloud, ...extra] = withCompliance ? rest.slice(1) : rest;
    if (withCompliance && region === undefined)
      throw invalid(value, `has "${compliance}" but no region after it`);
    if (region !== undefined && !REGION.test(region))
      throw invalid(value, `has "${region}" where a region belongs`);
    if (cloud !== undefined && !CLOUD.test(cloud))
      throw invalid(value, `has "${cloud}" where the cloud (aws, azure, gcp) belongs`);
    if (extra.length) throw invalid(value, 'has more parts than locator.[fhplus|dod.]region.cloud');
    if (region?.startsWith('cn-')) china = true;
    form = 'locator';
    jwtName = first;
    hostName = parts.join('.');
  } else {
    throw invalid(value, 'is not an account identifier');
  }
  const identifier = [...parts, ...(privatelink ? ['privatelink'] : [])].join('.');
  const domain = china ? CHINA_DOMAIN : DOMAIN;
  return {
    identifier,
    host: `${hostName.replaceAll('_', '-')}${privatelink ? '.privatelink' : ''}${domain}`,
    jwtAccount: jwtName.toUpperCase(),
    form,
    privatelink,
    ...(compliance ? { compliance } : {}),
    domain,
  };
}
