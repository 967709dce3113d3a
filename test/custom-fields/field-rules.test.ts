import { describe, expect, it } from 'vitest';
import { checkExtras, parseDeclaration, valueProblem } from '../../src/custom-fields/field-rules.js';
import { mergeFields } from '../../src/custom-fields/lake-schema.js';

describe('custom field rules', () => {
  it('takes lower snake_case names of known types, in declaration order', () => {
    expect(parseDeclaration({ session_id: 'string', mood_score: 'number' })).toEqual([
      { name: 'session_id', type: 'string' },
      { name: 'mood_score', type: 'number' },
    ]);
    expect(parseDeclaration({ user_id: 'string' })).toMatch(/"user_id" is a core key/);
    expect(parseDeclaration({ episode_name: 'string' })).toMatch(/core key/);
    expect(parseDeclaration({ source_file: 'string' })).toMatch(/core key/);
    expect(parseDeclaration({ 'Mood Score': 'number' })).toMatch(/not lower snake_case.*"mood_score"/);
    expect(parseDeclaration({ _x: 'string' })).toMatch(/not lower snake_case/);
    expect(parseDeclaration({ a: 'float' })).toMatch(/use one of string, integer, number/);
    expect(parseDeclaration(['a'])).toMatch(/must be an object/);
  });

  it('checks each returned value against its declared type; null is always allowed', () => {
    const fields = parseDeclaration({
      s: 'string',
      i: 'integer',
      n: 'number',
      b: 'boolean',
      t: 'timestamp',
      d: 'date',
      a: 'string_array',
      j: 'json',
    }) as Exclude<ReturnType<typeof parseDeclaration>, string>;
    expect(
      checkExtras(
        {
          s: 'x',
          i: 3,
          n: 0.5,
          b: false,
          t: '2024-01-15T14:30:00.000Z',
          d: '2024-01-15',
          a: ['x'],
          j: { k: [1] },
        },
        fields,
      ),
    ).toEqual({ values: ['x', 3, 0.5, false, '2024-01-15T14:30:00.000Z', '2024-01-15', ['x'], { k: [1] }] });
    expect(checkExtras({ i: undefined }, fields)).toEqual({ values: fields.map(() => null) });
    expect(checkExtras(undefined, fields)).toEqual({ values: fields.map(() => null) });
    expect(checkExtras({ i: 1.5 }, fields)).toMatchObject({
      field: 'i',
      problem: expect.stringMatching(/whole number/),
    });
    expect(checkExtras({ b: 'yes' }, fields)).toMatchObject({ field: 'b' });
    expect(checkExtras({ t: '2024-01-15 14:30' }, fields)).toMatchObject({ field: 't' });
    expect(checkExtras({ n: Number.NaN }, fields)).toMatchObject({ field: 'n' });
    expect(checkExtras({ j: { when: new Date(0) } }, fields)).toMatchObject({ field: 'j' });
    expect(checkExtras({ zz: 1 }, fields)).toMatchObject({
      field: 'zz',
      problem: expect.stringMatching(/does not declare/),
    });
    expect(checkExtras({ track_id: 'x' }, fields)).toMatchObject({
      problem: expect.stringMatching(/core key "track_id"/),
    });
    expect(checkExtras(['x'], fields)).toMatchObject({ problem: expect.stringMatching(/return an object/) });
    expect(valueProblem('string', 'x'.repeat(5000))).toMatch(/at most 4096/);
    expect(valueProblem('json', { big: 'x'.repeat(20_000) })).toMatch(/bytes as JSON/);
  });

  it("adds newly declared fields after the lake's and refuses a changed type", () => {
    const lake = [{ name: 'a', type: 'string' as const }];
    expect(
      mergeFields(lake, [
        { name: 'b', type: 'integer' },
        { name: 'a', type: 'string' },
      ]),
    ).toEqual({
      fields: [...lake, { name: 'b', type: 'integer' }],
      added: [{ name: 'b', type: 'integer' }],
    });
    expect(mergeFields(lake, [{ name: 'a', type: 'number' }])).toMatch(/a column's type never changes/);
  });
});
