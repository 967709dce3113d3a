import type { Logger } from '../log.js';
import { STATE_KEYS } from '../state/layout.js';
import { StateLog } from '../state/state-log.js';
import type { StateStore } from '../state/state-store.js';
import type { ListeningRecord } from '../record/schema.js';
import type { Track } from '../spotify/schemas.js';
import { SpotifyApiError, type SpotifyWebApi } from '../spotify/web-api.js';

/** What the export lacks and the Web API's Track object gives. */
export interface TrackMeta {
  duration_ms: number | null;
  explicit: boolean | null;
  popularity: number | null;
  isrc: string | null;
  artists: { id: string | null; name: string | null }[];
  album_id: string | null;
  album_type: string | null;
  album_release_date: string | null;
}

const BATCH = 50;

function metaOf(track: Track): TrackMeta {
  const s = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  return {
    duration_ms: typeof track.duration_ms === 'number' ? Math.round(track.duration_ms) : null,
    explicit: typeof track.explicit === 'boolean' ? track.explicit : null,
    popularity: typeof track.popularity === 'number' ? Math.round(track.popularity) : null,
    isrc: s(track.external_ids?.isrc),
    artists: (track.artists ?? []).map((a) => ({ id: s(a?.id), name: s(a?.name) })),
    album_id: s(track.album?.id),
    album_type: s(track.album?.album_type),
    album_release_date: s(track.album?.release_date),
  };
}

/**
 * Track metadata already fetched, in STATE_DIR/import/track-metadata.jsonl: one line per track id (null
 * when Spotify does not know the id). Appending a line per answer makes an interrupted enrichment resume
 * where it stopped; a torn last line (crash mid-append) is ignored and fetched again.
 */
export class TrackMetadataCache {
  private constructor(
    private readonly log: StateLog,
    private readonly entries: Map<string, TrackMeta | null>,
  ) {}

  static async open(state: StateStore): Promise<TrackMetadataCache> {
    const log = new StateLog(state, STATE_KEYS.trackMetadata);
    const entries = new Map<string, TrackMeta | null>();
    for (const line of (await log.read()).split('\n')) {
      if (!line.trim()) continue;
      try {
        const { id, m } = JSON.parse(line) as { id: string; m: TrackMeta | null };
        if (typeof id === 'string') entries.set(id, m);
      } catch {
        // torn line from a crash mid-append: fetched again
      }
    }
    return new TrackMetadataCache(log, entries);
  }

  get size(): number {
    return this.entries.size;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  get(id: string): TrackMeta | null | undefined {
    return this.entries.get(id);
  }

  async putMany(items: [string, TrackMeta | null][]): Promise<void> {
    if (items.length === 0) return;
    await this.log.append(items.map(([id, m]) => `${JSON.stringify({ id, m })}\n`).join(''));
    for (const [id, m] of items) this.entries.set(id, m);
  }
}

export interface EnrichStats {
  tracks_looked_up: number;
  cache_hits: number;
  not_found: number;
  requests: number;
  /** `batch` (GET /tracks?ids=) or `single` (GET /tracks/{id}, Development Mode apps). */
  mode: 'batch' | 'single';
  records_enriched: number;
}

/**
 * Fills what the export lacks from the Web API before the records are written (objects are never
 * rewritten, so enrichment cannot come later). Batch lookups where the app may; after a 403/404 from
 * the batch endpoint (Development Mode apps lost it in 2026) it falls back to one request per track.
 * The rate ceiling and 429 handling live in SpotifyHttp.
 */
export class TrackEnricher {
  readonly stats: EnrichStats = {
    tracks_looked_up: 0,
    cache_hits: 0,
    not_found: 0,
    requests: 0,
    mode: 'batch',
    records_enriched: 0,
  };

  constructor(
    private readonly api: SpotifyWebApi,
    private readonly cache: TrackMetadataCache,
    private readonly log: Logger,
  ) {}

  async enrich(records: ListeningRecord[]): Promise<void> {
    const missing = new Set<string>();
    for (const r of records) {
      if (r.track_id === null) continue;
      if (this.cache.has(r.track_id)) this.stats.cache_hits++;
      else missing.add(r.track_id);
    }
    const ids = [...missing];
    for (let i = 0; i < ids.length; i += BATCH) await this.fetch(ids.slice(i, i + BATCH));
    for (const r of records) {
      const meta = r.track_id === null ? undefined : this.cache.get(r.track_id);
      if (meta) {
        apply(r, meta);
        this.stats.records_enriched++;
      }
    }
  }

  private async fetch(ids: string[]): Promise<void> {
    if (this.stats.mode === 'batch') {
      try {
        this.stats.requests++;
        const { tracks } = await this.api.getTracks(ids);
        const found = new Map<string, Track>();
        for (const t of tracks) if (t?.id) found.set(t.id, t);
        await this.store(ids.map((id) => [id, found.get(id) ?? null]));
        return;
      } catch (err) {
        if (!(err instanceof SpotifyApiError) || (err.status !== 403 && err.status !== 404)) throw err;
        this.stats.mode = 'single';
        this.log.info(
          { status: err.status },
          'the batch track lookup is not available to this app (Development Mode): looking tracks up one by one',
        );
      }
    }
    for (const id of ids) {
      let track: Track | null = null;
      try {
        this.stats.requests++;
        track = await this.api.getTrack(id);
      } catch (err) {
        if (!(err instanceof SpotifyApiError) || (err.status !== 404 && err.status !== 400)) throw err;
      }
      await this.store([[id, track]]);
    }
  }

  private async store(items: [string, Track | null][]): Promise<void> {
    this.stats.tracks_looked_up += items.length;
    this.stats.not_found += items.filter(([, t]) => t === null).length;
    await this.cache.putMany(items.map(([id, t]) => [id, t ? metaOf(t) : null]));
  }
}

/** Fills the record's unknowns; what the export said (names) stays, the API adds ids and all artists. */
export function apply(r: ListeningRecord, m: TrackMeta): void {
  r.track_duration_ms ??= m.duration_ms;
  r.track_explicit ??= m.explicit;
  r.track_popularity ??= m.popularity;
  r.isrc ??= m.isrc;
  const primary = m.artists[0];
  r.primary_artist_id ??= primary?.id ?? null;
  r.primary_artist_name ??= primary?.name ?? null;
  const names = m.artists.map((a) => a.name).filter((n): n is string => n !== null);
  if (names.length > 0) r.artist_names = names;
  r.album_id ??= m.album_id;
  r.album_type ??= m.album_type;
  r.album_release_date ??= m.album_release_date;
}
