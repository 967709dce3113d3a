/**
 * Validators for what Spotify answers, so the fake Spotify server (../spotify-server.ts) is held to it:
 * the Web API's bodies by the schemas of its OpenAPI description (spotify-web-api.schemas.json, trimmed
 * from github.com/sonallux/spotify-web-api: see README.md), the accounts service's token bodies by schemas
 * written here from its documentation (the OpenAPI description does not cover the accounts service).
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

const WEB_API = 'spotify-web-api';

/**
 * POST /api/token, 200: Spotify's Authorization Code and refresh pages list `access_token`, `token_type`
 * (always "Bearer"), `scope`, `expires_in` (seconds) and, on a code exchange or a rotating refresh,
 * `refresh_token`.
 * https://developer.spotify.com/documentation/web-api/tutorials/code-flow ,
 * https://developer.spotify.com/documentation/web-api/tutorials/refreshing-tokens
 */
const tokenResponse = {
  type: 'object',
  required: ['access_token', 'token_type', 'scope', 'expires_in'],
  properties: {
    access_token: { type: 'string', minLength: 1 },
    token_type: { type: 'string', enum: ['Bearer'] },
    scope: { type: 'string' },
    expires_in: { type: 'integer', minimum: 1 },
    refresh_token: { type: 'string', minLength: 1 },
  },
};

/**
 * POST /api/token, 400: the OAuth 2.0 error body (RFC 6749 section 5.2), which Spotify's accounts service
 * answers with (`invalid_grant` for an expired or revoked refresh token).
 * https://datatracker.ietf.org/doc/html/rfc6749#section-5.2 ,
 * https://developer.spotify.com/documentation/web-api/tutorials/refreshing-tokens
 */
const tokenError = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'string',
      enum: [
        'invalid_request',
        'invalid_client',
        'invalid_grant',
        'unauthorized_client',
        'unsupported_grant_type',
        'invalid_scope',
      ],
    },
    error_description: { type: 'string' },
  },
};

/** The Web API's error responses (OpenAPI: components/responses Unauthorized, Forbidden, TooManyRequests...). */
const webApiError = {
  type: 'object',
  required: ['error'],
  properties: { error: { $ref: `${WEB_API}#/components/schemas/ErrorObject` } },
};

function build(): Ajv {
  // strict: false: the description uses OpenAPI keywords (deprecated...) that are annotations to JSON Schema.
  const ajv = new Ajv({ strict: false, allErrors: true });
  // Spotify's played_at: RFC 3339 date-time in UTC, e.g. 2021-10-25T05:13:13.658Z.
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
  const doc = JSON.parse(
    readFileSync(new URL('./spotify-web-api.schemas.json', import.meta.url), 'utf8'),
  ) as object;
  ajv.addSchema(doc, WEB_API);
  ajv.addSchema(tokenResponse, 'TokenResponse');
  ajv.addSchema(tokenError, 'TokenError');
  ajv.addSchema(webApiError, 'WebApiError');
  return ajv;
}

let ajv: Ajv | undefined;

export type SchemaName =
  | 'CursorPagingPlayHistoryObject'
  | 'PrivateUserObject'
  | 'EpisodeObject'
  | 'CurrentlyPlayingObject'
  | 'TrackObject'
  | 'TokenResponse'
  | 'TokenError'
  | 'WebApiError';

function validator(name: SchemaName): ValidateFunction {
  ajv ??= build();
  const id = ['TokenResponse', 'TokenError', 'WebApiError'].includes(name)
    ? name
    : `${WEB_API}#/components/schemas/${name}`;
  return ajv.getSchema(id)!;
}

/** The schema's complaints about a body, as `path: message` lines; [] when it conforms. */
export function schemaErrors(name: SchemaName, body: unknown): string[] {
  const validate = validator(name);
  if (validate(body)) return [];
  return (validate.errors ?? []).map(
    (e: ErrorObject) => `${e.instancePath || '(root)'}: ${e.message ?? e.keyword}`,
  );
}
