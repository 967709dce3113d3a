// Custom fields: when each play happened on the listener's own clock.
// TRANSFORM_MODULE=examples/local-time.mjs TRANSFORM_TIMEZONE=Europe/Berlin npx spotify-pipeline run-once
export const fields = { local_date: 'date', local_hour: 'integer', local_weekday: 'string' };

export function transform(record, { timeZone }) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      hourCycle: 'h23',
      weekday: 'long',
    })
      .formatToParts(new Date(record.played_at))
      .map((p) => [p.type, p.value]),
  );
  return {
    local_date: `${parts.year}-${parts.month}-${parts.day}`,
    local_hour: Number(parts.hour),
    local_weekday: parts.weekday,
  };
}
