import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'data/', 'demo-data/', '.pipeline/', '.bench/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // The direction of the folders: commit/ (the protocol) uses state/ and lake/ (storage), never the reverse,
  // and the rest of the code reaches the protocol only through commit/index.ts.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/commit/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/commit/*', '!**/commit/index.js'],
              message: 'Use the commit protocol through src/commit/index.ts.',
            },
          ],
        },
      ],
    },
  },
  // The import's rules reach its mechanics only through engine/index.ts (a block for these files replaces the
  // one above, so it names the commit rule again).
  {
    files: ['src/import/**/*.ts'],
    ignores: ['src/import/engine/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/commit/*', '!**/commit/index.js'],
              message: 'Use the commit protocol through src/commit/index.ts.',
            },
            {
              group: ['**/engine/*', '!**/engine/index.js'],
              message: "Use the import's engine through src/import/engine/index.ts.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/state/**/*.ts', 'src/lake/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/commit/**'],
              message:
                'state/ and lake/ are storage below the commit protocol: they may not import src/commit/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/lake/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/commit/**'], message: 'lake/ is storage below the commit protocol.' },
            { group: ['**/state/**'], message: 'lake/ is below state/: move what both need into lake/.' },
          ],
        },
      ],
    },
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.mjs', 'test/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
