/**
 * A count with its noun, for every figure printed to a user: "1 play", "2 plays", "45,146 plays". One helper,
 * so no message can say "1 plays" or fall back to "file(s)". Give the plural when it is not the noun plus "s".
 */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? singular : pluralForm}`;
}
