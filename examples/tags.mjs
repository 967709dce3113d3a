// Custom fields: your own tags, and how much of each track was heard.
// TRANSFORM_MODULE=examples/tags.mjs npx spotify-pipeline import my_spotify_data.zip
const MOODS = { Radiohead: 'melancholy', ABBA: 'party', 'Hans Zimmer': 'focus' };

export const fields = { mood: 'string', completion: 'number', tags: 'string_array' };

export function transform(record, { kind }) {
  if (kind === 'episode') return { tags: ['podcast'] };
  const length = record.track_duration_ms;
  return {
    mood: MOODS[record.primary_artist_name] ?? null,
    // Known for exported plays with --enrich (ms_played and the track's length); null otherwise.
    completion: record.ms_played !== null && length ? Math.min(1, record.ms_played / length) : null,
    tags: record.skipped ? ['skipped'] : [],
  };
}
