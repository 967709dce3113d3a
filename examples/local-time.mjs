// Custom fields: when each play happened on the listener's own clock.
// TRANSFORM_MODULE=examples/local-time.mjs TRANSFORM_TIMEZONE=Europe/Berlin npx spotify-pipeline run-once
export const fields = { local_date: 'date', local_hour: 'integer', local_weekday: 'string' };

// A formatter is costly to make (tens of µs) and cheap to use: one per zone, not one per play.
const formatters = new Map();
function formatter(timeZone) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      hourCycle: 'h23',
      weekday: 'long',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function transform(record, { timeZone }) {
  const parts = {};
  for (const p of formatter(timeZone).formatToParts(new Date(record.played_at))) parts[p.type] = p.value;
  return {
    local_date: `${parts.year}-${parts.month}-${parts.day}`,
    local_hour: Number(parts.hour),
    local_weekday: parts.weekday,
  };
}
