import { execFile } from 'node:child_process';
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import { breakChance, firstHour, playEnding, reasonStart, restDays } from './listening-habits.js';

export interface GenerateOptions {
  /** Extended Streaming History rows to write (every kind of row counts: tracks, episodes, skips...). */
  plays: number;
  seed?: number;
  startYear?: number;
  /** End the history at about this instant instead of starting at `startYear` (the demo ends it today). */
  end?: Date;
  /** Rows per Extended file (Spotify: about 16,000). */
  rowsPerFile?: number;
  /** Also write Account Data covering the last `accountDataDays` days (default 365; 0 for none). */
  accountDataDays?: number;
  username?: string | null;
  /** Distinct tracks in the catalog plays are drawn from (default 6000). */
  catalogSize?: number;
  /** Zip the export folder with the `zip` command (as Spotify delivers it) and return the zip's path. */
  zip?: boolean;
}

export interface GeneratedExport {
  /** The folder (or zip) to pass to `import`. */
  path: string;
  extendedFiles: string[];
  accountDataFiles: string[];
  rows: number;
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const WORDS =
  'love night heart dream fire light summer rain city blue gold wild home road sky ocean star dance ghost river echo neon velvet honey silver storm paper'.split(
    ' ',
  );
const PLATFORMS = [
  'Android OS 13 API 33 (Google, Pixel 7)',
  'iOS 17.1 (iPhone15,2)',
  'Windows 10 (10.0.19045; x64)',
  'OS X 14.1.1 [arm 2]',
  'web_player linux ;chrome 120.0',
];
const COUNTRIES = ['DE', 'US', 'GB', 'FR', 'SE', 'NL', 'ES'];

/** 07:00-09:00 (UTC; 09:00-11:00 at weekends) of the day `days` days after the one of `t`. */
function nextMorning(t: number, days: number, random: () => number): number {
  const day = (Math.floor(t / 86_400_000) + days) * 86_400_000;
  return day + Math.floor(firstHour(random, new Date(day).getUTCDay()) * 3600_000);
}

/**
 * Writes a realistic, seeded Spotify privacy-data export: Extended Streaming History files of ~16,000 rows in
 * time order with every field (ip_addr, user_agent_decrypted, incognito plays, podcast episodes, audiobooks,
 * short skips, local files), Account Data for the last year, and the rest of an export (ignored by import).
 * The same options always give the same bytes. Used by the benchmark, the tests and `demo`.
 */
export async function generateExport(dir: string, options: GenerateOptions): Promise<GeneratedExport> {
  const random = rng(options.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const id = () => Array.from({ length: 22 }, () => B62[Math.floor(random() * 62)]).join('');
  const title = (n: number) =>
    Array.from({ length: n }, () => pick(WORDS))
      .join(' ')
      .replace(/^./, (c) => c.toUpperCase());
  const rowsPerFile = options.rowsPerFile ?? 16_000;
  const username = options.username === undefined ? 'demo-user' : options.username;
  const accountDays = options.accountDataDays ?? 365;

  // Each artist has a few albums (2 to 4) and each of their tracks is on one: top albums then gather tracks.
  const artists = Array.from({ length: 400 }, () => ({
    name: title(2),
    albums: Array.from({ length: 2 + Math.floor(random() * 3) }, () => title(2)),
  }));
  const catalogSize = options.catalogSize ?? 6000;
  // Artists are ordered roughly by when the listener finds them: track i's artist comes from the part of the
  // artist list that matches i's place in the catalogue, so a taste that widens over time discovers new artists.
  const tracks = Array.from({ length: catalogSize }, (_, i) => {
    const artist =
      artists[
        Math.min(artists.length - 1, Math.floor((i / catalogSize) * artists.length * (0.8 + 0.2 * random())))
      ]!;
    return {
      id: id(),
      name: title(1 + Math.floor(random() * 3)) + (i % 17 === 0 ? ' (feat. Ünïcödé "Quotes")' : ''),
      artist: artist.name,
      album: pick(artist.albums),
      duration: 120_000 + Math.floor(random() * 180_000),
    };
  });
  const shows = Array.from({ length: 20 }, () => ({
    name: `The ${title(2)} Podcast`,
    episodes: Array.from({ length: 30 }, () => ({ id: id(), name: title(4) })),
  }));

  const historyDir = path.join(dir, 'Spotify Extended Streaming History');
  const accountDir = path.join(dir, 'Spotify Account Data');
  await fs.mkdir(historyDir, { recursive: true });
  await fs.mkdir(accountDir, { recursive: true });
  await fs.writeFile(
    path.join(historyDir, 'ReadMeFirst_ExtendedStreamingHistory.pdf'),
    '%PDF-1.4 (placeholder)\n',
  );
  await fs.writeFile(path.join(accountDir, 'Userdata.json'), JSON.stringify({ username, country: 'DE' }));
  await fs.writeFile(path.join(accountDir, 'SearchQueries.json'), '[]');

  // About 17 minutes of wall time per row on average (plays, breaks, quiet nights, days without music). A
  // history meant to end at `end` starts as if a row took 15 minutes and stops at `end`, so its last days are
  // never empty and no play lies in the future (it then holds about a tenth fewer rows than asked for).
  const stopAt = options.end?.getTime();
  let t =
    stopAt !== undefined ? stopAt - options.plays * 900_000 : Date.UTC(options.startYear ?? 2016, 0, 1, 8);
  const extendedFiles: string[] = [];
  const recentCut = { ms: 0 };
  const accountRows: { endTime: string; artistName: string; trackName: string; msPlayed: number }[] = [];
  const endAll = stopAt ?? t + options.plays * 1_100_000;
  recentCut.ms = endAll - accountDays * 86_400_000;

  let written = 0;
  let stopped = false;
  let lastDay = Math.floor(t / 86_400_000);
  let previousEnd: string | null = null;
  for (let fileNo = 0; written < options.plays && !stopped; fileNo++) {
    const n = Math.min(rowsPerFile, options.plays - written);
    const startYear = new Date(t).getUTCFullYear();
    const tmp = path.join(historyDir, `.part-${fileNo}`);
    const out = createWriteStream(tmp);
    let endYear = startYear;
    out.write('[\n');
    let rowsInFile = 0;
    for (let i = 0; i < n; i++) {
      // Sessions of plays back to back, with breaks between them (more of them in weekday working hours).
      const now = new Date(t);
      const sessionStart = random() < breakChance(now.getUTCDay(), now.getUTCHours());
      t += sessionStart ? Math.floor(random() * 6 * 3600_000) : Math.floor(random() * 20_000);
      // Nights are mostly quiet: a session that runs into 02:00-07:00 (UTC) usually resumes in the morning.
      const hour = new Date(t).getUTCHours();
      if (hour >= 2 && hour < 7 && random() < 0.9)
        t = nextMorning(t, t % 86_400_000 < 7 * 3600_000 ? 0 : 1, random);
      // A new day: some days have no music at all (weekends more often, a holiday now and then), so daily
      // streaks end as people's do. The last month of a demo keeps its days, for the "last 30 days" figures.
      const day = Math.floor(t / 86_400_000);
      if (day !== lastDay) {
        const rest = restDays(
          random,
          new Date(t).getUTCDay(),
          stopAt === undefined || t < stopAt - 30 * 86_400_000,
        );
        if (rest > 0) t = nextMorning(t, rest, random);
      }
      const roll = random();
      // Taste widens over the years: early plays draw from the first part of the catalogue, later ones from all
      // of it, with a preference for what was found recently.
      const progress = Math.min(1, (written + i) / options.plays);
      const reach = Math.max(50, Math.floor(catalogSize * (0.1 + 0.9 * progress)));
      const track = tracks[Math.floor(reach * Math.sqrt(random()))]!;
      const ending = playEnding(random, track.duration);
      const msPlayed = ending.msPlayed;
      const started = sessionStart ? null : previousEnd;
      previousEnd = ending.reasonEnd;
      t += msPlayed;
      // The day of the play's end (its `ts`): a session may run past midnight into it.
      lastDay = Math.floor(t / 86_400_000);
      if (stopAt !== undefined && t > stopAt) {
        stopped = true;
        break;
      }
      const episode = roll > 0.96 ? pick(shows) : null;
      const ep = episode ? pick(episode.episodes) : null;
      const audiobook = roll > 0.955 && roll <= 0.96;
      const local = roll > 0.95 && roll <= 0.952;
      const row: Record<string, unknown> = {
        ts: new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        ...(username ? { username } : {}),
        platform: pick(PLATFORMS),
        ms_played: msPlayed,
        conn_country: pick(COUNTRIES),
        ip_addr: `192.0.2.${Math.floor(random() * 250)}`,
        user_agent_decrypted: 'unknown',
        master_metadata_track_name: episode || audiobook ? null : track.name,
        master_metadata_album_artist_name: episode || audiobook ? null : track.artist,
        master_metadata_album_album_name: episode || audiobook ? null : track.album,
        spotify_track_uri:
          episode || audiobook
            ? null
            : local
              ? `spotify:local:::${encodeURIComponent(track.name)}:180`
              : `spotify:track:${track.id}`,
        episode_name: ep?.name ?? null,
        episode_show_name: episode?.name ?? null,
        spotify_episode_uri: ep ? `spotify:episode:${ep.id}` : null,
        audiobook_title: audiobook ? title(3) : null,
        audiobook_uri: audiobook ? `spotify:show:${id()}` : null,
        audiobook_chapter_uri: audiobook ? `spotify:episode:${id()}` : null,
        audiobook_chapter_title: audiobook ? 'Chapter 1' : null,
        reason_start: reasonStart(random, started),
        reason_end: ending.reasonEnd,
        shuffle: random() < 0.4,
        // Older export vintages leave `skipped` null (reason_end still says how a play ended): so does the
        // first quarter of this history.
        skipped: progress < 0.25 ? null : ending.skipped,
        offline: random() < 0.05,
        offline_timestamp: Math.floor(t / 1000) - 200,
        incognito_mode: random() < 0.01,
      };
      out.write(`${i ? ',\n' : ''}${JSON.stringify(row)}`);
      rowsInFile++;
      if (t >= recentCut.ms && !episode && !audiobook && !row.incognito_mode && msPlayed > 0) {
        accountRows.push({
          endTime: new Date(t).toISOString().slice(0, 16).replace('T', ' '),
          artistName: track.artist,
          trackName: track.name,
          msPlayed,
        });
      }
      endYear = new Date(t).getUTCFullYear();
    }
    out.end('\n]\n');
    await finished(out);
    if (rowsInFile === 0) {
      await fs.rm(tmp, { force: true });
      break;
    }
    const years = startYear === endYear ? `${startYear}` : `${startYear}-${endYear}`;
    const name = path.join(historyDir, `Streaming_History_Audio_${years}_${fileNo}.json`);
    await fs.rename(tmp, name);
    extendedFiles.push(name);
    written += rowsInFile;
  }

  const accountDataFiles: string[] = [];
  for (let i = 0; i * 10_000 < accountRows.length; i++) {
    const file = path.join(accountDir, `StreamingHistory_music_${i}.json`);
    await fs.writeFile(file, JSON.stringify(accountRows.slice(i * 10_000, (i + 1) * 10_000), null, 2));
    accountDataFiles.push(file);
  }

  let result = dir;
  if (options.zip) {
    result = `${dir.replace(/\/+$/, '')}.zip`;
    await fs.rm(result, { force: true });
    await promisify(execFile)('zip', ['-q', '-r', result, '.'], { cwd: dir });
  }
  return { path: result, extendedFiles, accountDataFiles, rows: written };
}
