// Writes spotify-web-api.schemas.json: the few schemas of the Web API's OpenAPI description that the fake
// Spotify server answers with, trimmed (no descriptions, examples or x-spotify keys) and patched where
// README.md says. Run by hand when the description changes:
//   node test/fakes/openapi/extract-schemas.mjs path/to/fixed-spotify-open-api.yml
import { readFileSync, writeFileSync } from 'node:fs';
import yaml from 'js-yaml';

const ROOTS = [
  'CursorPagingPlayHistoryObject',
  'PrivateUserObject',
  'ErrorObject',
  'EpisodeObject',
  'CurrentlyPlayingObject',
];
const doc = yaml.load(readFileSync(process.argv[2], 'utf8'));
const all = doc.components.schemas;

/** Annotations only: a property named `description` (EpisodeBase has one) is kept. */
function trim(node) {
  if (Array.isArray(node)) return node.map(trim);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('x-') || k === 'example' || k === 'title' || k === 'externalDocs') continue;
    if (k === 'description' && typeof v === 'string') continue;
    out[k] = trim(v);
  }
  return out;
}

const kept = {};
const visit = (name) => {
  if (kept[name]) return;
  kept[name] = trim(all[name]);
  JSON.stringify(all[name]).replace(/#\/components\/schemas\/(\w+)/g, (_, ref) => visit(ref));
};
ROOTS.forEach(visit);

// Patches, each with its reason in README.md. OpenAPI's `nullable` needs a `type` beside it: a reference
// to another schema is made nullable as "that, or null".
const nullable = (schema, prop) => {
  const p = kept[schema].properties[prop];
  kept[schema].properties[prop] = p.type ? { ...p, nullable: true } : { anyOf: [p, { type: 'null' }] };
};
nullable('CursorPagingObject', 'next');
nullable('CursorPagingObject', 'cursors');
nullable('PrivateUserObject', 'display_name');
nullable('PlayHistoryObject', 'context');
nullable('CurrentlyPlayingObject', 'item');
nullable('CurrentlyPlayingObject', 'context');
nullable('CurrentlyPlayingObject', 'progress_ms');
for (const schema of Object.values(kept)) {
  if (!Array.isArray(schema.required) || !schema.properties) continue;
  schema.required = schema.required.filter((p) => !schema.properties[p]?.deprecated);
}

const sorted = Object.fromEntries(
  Object.keys(kept)
    .sort()
    .map((k) => [k, kept[k]]),
);
writeFileSync(
  new URL('./spotify-web-api.schemas.json', import.meta.url),
  `${JSON.stringify({ openapi: doc.openapi, info: { title: doc.info.title, version: doc.info.version }, components: { schemas: sorted } }, null, 2)}\n`,
);
console.log(`${Object.keys(sorted).length} schemas: ${Object.keys(sorted).join(', ')}`);
