import { describe, expect, it } from 'vitest';
import { EPISODE_KEYS } from '../../src/record/episode-schema.js';
import { RECORD_KEYS } from '../../src/record/schema.js';
import { buildSetupStatements } from '../../src/snowflake/ddl.js';
import {
  copyIntoSql,
  EPISODES_COLUMNS,
  LAKE_TIMESTAMP_FORMAT,
  TRACKS_COLUMNS,
} from '../../src/snowflake/table-sql.js';
import type { SnowflakeObjects } from '../../src/snowflake/settings.js';
import { TEST_OBJECTS } from './helpers.js';

const objects: SnowflakeObjects = {
  ...TEST_OBJECTS,
};

describe('setup SQL', () => {
  const statements = buildSetupStatements(objects);
  const all = statements.map((s) => s.sql).join(';\n');

  it('has one column per contract key, in order, with the Snowflake type of its logical type', () => {
    expect(TRACKS_COLUMNS.filter((c) => c.fromFile).map((c) => c.name)).toEqual([...RECORD_KEYS]);
    expect(EPISODES_COLUMNS.filter((c) => c.fromFile).map((c) => c.name)).toEqual([...EPISODE_KEYS]);
    const type = (n: string) => TRACKS_COLUMNS.find((c) => c.name === n)!.type;
    expect(type('played_at')).toBe('TIMESTAMP_NTZ(3)');
    expect(type('played_at_timestamp')).toBe('NUMBER(38,0)');
    expect(type('played_at_date')).toBe('DATE');
    expect(type('track_explicit')).toBe('BOOLEAN');
    expect(type('artist_names')).toBe('ARRAY');
    expect(type('track_name')).toBe('STRING');
    const table = statements.find((s) => s.title.endsWith('SPOTIFY_LISTENING_HISTORY'))!.sql;
    expect(table).toMatch(/^CREATE TABLE IF NOT EXISTS SPOTIFY\.LISTENING\.SPOTIFY_LISTENING_HISTORY \(/);
    for (const key of RECORD_KEYS) expect(table).toMatch(new RegExp(`\\n  ${key}\\s+[A-Z_]`));
  });

  it('file format: JSON, GZIP, timestamps like the lake writes them', () => {
    expect(LAKE_TIMESTAMP_FORMAT).toBe('YYYY-MM-DD"T"HH24:MI:SS.FF3"Z"');
    expect(all).toMatch(
      /CREATE FILE FORMAT IF NOT EXISTS SPOTIFY\.LISTENING\.SPOTIFY_JSON_GZ\n\s+TYPE = JSON\n\s+COMPRESSION = GZIP/,
    );
    expect(all).toContain(`TIMESTAMP_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.FF3"Z"'`);
  });

  it('storage integration for the role ARN, stages using it, no credentials', () => {
    expect(all).toContain("STORAGE_AWS_ROLE_ARN = 'arn:aws:iam::123456789012:role/snowflake-lake'");
    expect(all).toContain("URL = 's3://my-lake/spotify_listening_history/'");
    expect(all).toContain('STORAGE_INTEGRATION = SPOTIFY_LAKE_INTEGRATION');
    expect(all).not.toContain('CREDENTIALS');
  });

  it('auto-ingest pipes matching columns by name case-insensitively, keeping the source file', () => {
    const pipe = statements.find((s) => s.title.endsWith('SPOTIFY_TRACKS_PIPE'))!.sql;
    expect(pipe).toMatch(
      /CREATE PIPE IF NOT EXISTS SPOTIFY\.LISTENING\.SPOTIFY_TRACKS_PIPE\n\s+AUTO_INGEST = TRUE/,
    );
    expect(pipe).toContain('MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE');
    expect(pipe).toContain('INCLUDE_METADATA = (source_file = METADATA$FILENAME)');
    expect(pipe).toContain("PATTERN = '.*spotify_tracks_[^/]*[.]json[.]gz'");
    // Snowpipe's default, spelled out: error notifications need it, and the bulk COPY shares this text.
    expect(pipe).toContain('ON_ERROR = SKIP_FILE');
    expect(copyIntoSql('T', 'S', 'F', 'spotify_tracks', ['a.json.gz'])).toMatch(
      /FILES = \('a\.json\.gz'\)[\s\S]*ON_ERROR = SKIP_FILE/,
    );
    const rest = buildSetupStatements({ ...objects, mode: 'rest' }).find((s) =>
      s.title.endsWith('SPOTIFY_TRACKS_PIPE'),
    )!.sql;
    expect(rest).toContain('AUTO_INGEST = FALSE');
  });

  it("views for the daily summary and this month's top artists", () => {
    expect(all).toMatch(
      /CREATE OR REPLACE VIEW SPOTIFY\.LISTENING\.DAILY_LISTENING_SUMMARY AS[\s\S]*COUNT\(DISTINCT COALESCE\(track_id, track_name\)\)[\s\S]*DATEADD\(day, -30/,
    );
    expect(all).toMatch(
      /CREATE OR REPLACE VIEW SPOTIFY\.LISTENING\.TOP_ARTISTS_THIS_MONTH AS[\s\S]*DATE_TRUNC\('month'/,
    );
    expect(all).toMatch(/COALESCE\(ms_played, track_duration_ms, 0\)/);
  });

  it('every statement is safe to run again (grants included)', () => {
    const all = buildSetupStatements(objects, { roles: { admin: 'A', owner: 'O', monitor: 'M' } });
    expect(all.some((s) => s.sql.startsWith('GRANT'))).toBe(true);
    for (const s of all.filter((x) => !x.setupOnly)) {
      expect(s.sql).toMatch(
        /^(CREATE (OR REPLACE |OR ALTER )?\w+( \w+)? IF NOT EXISTS|CREATE OR REPLACE VIEW|ALTER |GRANT )/,
      );
    }
    // What replaces an object runs only after a DESC showed it differs, and never from the script.
    for (const s of all.filter((x) => x.setupOnly)) {
      expect(s.sql).toMatch(/^CREATE OR REPLACE STAGE/);
      expect(s.converge?.describe).toMatch(/^DESC STAGE/);
      expect(s.converge?.then?.[0]?.sql).toMatch(/^CREATE OR REPLACE PIPE/);
    }
  });

  it('JSON nulls are stripped on load (SQL NULL in a VARIANT, as DuckDB has it), in a new and in an older file format', () => {
    const all = buildSetupStatements(objects);
    const create = all.find((s) => s.sql.startsWith('CREATE FILE FORMAT'))!;
    const alter = all.find((s) => s.sql.startsWith('ALTER FILE FORMAT'))!;
    expect(create.sql).toMatch(/\n {2}STRIP_NULL_VALUES = TRUE/);
    expect(alter.sql).toMatch(/\n {2}STRIP_NULL_VALUES = TRUE/);
  });

  it('stage credentials only when asked, instead of the integration', () => {
    const sql = buildSetupStatements(objects, {
      stageCredentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: "se'cret" },
    })
      .map((s) => s.sql)
      .join('\n');
    expect(sql).toContain("CREDENTIALS = (AWS_KEY_ID = 'AKIAEXAMPLE' AWS_SECRET_KEY = 'se''cret')");
    expect(sql).not.toContain('STORAGE INTEGRATION');
  });

  it.each([
    ['arn:aws:iam::123456789012:role/r', 'S3', 's3'],
    ['arn:aws-us-gov:iam::123456789012:role/r', 'S3GOV', 's3gov'],
    ['arn:aws-cn:iam::123456789012:role/r', 'S3CHINA', 's3china'],
  ])('the partition of %s gives STORAGE_PROVIDER %s and %s:// stage URLs', (arn, provider, scheme) => {
    const sql = buildSetupStatements({ ...objects, awsRoleArn: arn })
      .map((s) => s.sql)
      .join('\n');
    expect(sql).toContain(`STORAGE_PROVIDER = '${provider}'`);
    expect(sql).toContain(`URL = '${scheme}://my-lake/spotify_listening_history/'`);
    expect(sql).toContain(`STORAGE_ALLOWED_LOCATIONS = ('${scheme}://my-lake/spotify_listening_history/'`);
  });

  it('SNOWFLAKE_ERROR_INTEGRATION: both pipes send load errors to it, existing pipes converge, the owner gets USAGE', () => {
    const with_ = buildSetupStatements(
      { ...objects, errorIntegration: 'SPOTIFY_PIPE_ERRORS' },
      { roles: { admin: 'A', owner: 'O' } },
    );
    const pipe = with_.find((s) => s.title.endsWith('SPOTIFY_TRACKS_PIPE'))!.sql;
    expect(pipe).toMatch(/AUTO_INGEST = TRUE\n\s+ERROR_INTEGRATION = SPOTIFY_PIPE_ERRORS\n\s+AS COPY INTO/);
    expect(pipe).toContain('ON_ERROR = SKIP_FILE');
    const sql = with_.map((s) => s.sql);
    expect(sql).toContain(
      'ALTER PIPE SPOTIFY.LISTENING.SPOTIFY_TRACKS_PIPE SET ERROR_INTEGRATION = SPOTIFY_PIPE_ERRORS',
    );
    expect(sql).toContain(
      'ALTER PIPE SPOTIFY.LISTENING.SPOTIFY_EPISODES_PIPE SET ERROR_INTEGRATION = SPOTIFY_PIPE_ERRORS',
    );
    const grant = with_.find((s) => s.sql === 'GRANT USAGE ON INTEGRATION SPOTIFY_PIPE_ERRORS TO ROLE O')!;
    expect(grant.runAs).toBe('admin');
    expect(with_.indexOf(grant)).toBeLessThan(with_.findIndex((s) => s.sql.startsWith('CREATE PIPE')));
    // Off by default: nothing about error integrations.
    expect(all).not.toContain('ERROR_INTEGRATION');
  });
});
