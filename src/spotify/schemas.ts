import { z } from 'zod';

/**
 * Response shapes of the Web API, from Spotify's reference and OpenAPI description. Every field that
 * Spotify may drop (Development Mode removed several in 2026) is optional or nullable; a field that is
 * present with the wrong type is an error, since it means we are not talking to the API we think.
 */
const simplifiedArtist = z.looseObject({
  id: z.string().nullish(),
  name: z.string().nullish(),
  uri: z.string().nullish(),
});

const simplifiedAlbum = z.looseObject({
  id: z.string().nullish(),
  name: z.string().nullish(),
  album_type: z.string().nullish(),
  release_date: z.string().nullish(),
  release_date_precision: z.string().nullish(),
});

export const trackSchema = z.looseObject({
  id: z.string().nullish(),
  name: z.string().nullish(),
  uri: z.string().nullish(),
  type: z.string().nullish(),
  duration_ms: z.number().nullish(),
  popularity: z.number().nullish(),
  explicit: z.boolean().nullish(),
  is_local: z.boolean().nullish(),
  external_ids: z.looseObject({ isrc: z.string().nullish() }).nullish(),
  artists: z.array(simplifiedArtist).nullish(),
  album: simplifiedAlbum.nullish(),
});
export type Track = z.infer<typeof trackSchema>;

export const playHistoryItemSchema = z.looseObject({
  track: trackSchema.nullish(),
  played_at: z.string(),
  context: z
    .looseObject({
      type: z.string().nullish(),
      uri: z.string().nullish(),
    })
    .nullish(),
});
export type PlayHistoryItem = z.infer<typeof playHistoryItemSchema>;

export const recentlyPlayedSchema = z.looseObject({
  items: z.array(playHistoryItemSchema),
  next: z.string().nullish(),
  cursors: z.looseObject({ after: z.string().nullish(), before: z.string().nullish() }).nullish(),
  limit: z.number().nullish(),
  href: z.string().nullish(),
});
export type RecentlyPlayedPage = z.infer<typeof recentlyPlayedSchema>;

export const meSchema = z.looseObject({
  id: z.string().min(1),
  display_name: z.string().nullish(),
});
export type Me = z.infer<typeof meSchema>;

export const severalTracksSchema = z.looseObject({ tracks: z.array(trackSchema.nullable()) });

export const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.number().positive(),
  refresh_token: z.string().min(1).optional(),
  scope: z.string().optional(),
});
export type TokenResponse = z.infer<typeof tokenResponseSchema>;

/** Describes a schema failure briefly: where and what, never the payload (it may hold personal data). */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
