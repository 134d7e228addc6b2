import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'coverage/**', 'apps/api/public/vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      // A lib's index.ts is its only public face.
      'no-restricted-imports': ['error', { patterns: [{ group: ['@app/*/*'], message: 'Import a lib through its index: @app/<lib>.' }] }],
    },
  },
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['@app/*/*'], message: 'Import a lib through its index: @app/<lib>.' },
        { group: ['**/apps/**'], message: 'A lib never imports an app.' },
      ] }],
    },
  },
  {
    // The API's input boundary: optional means absent or valid (IsOptional lets null through), and validator.js's
    // isEmail throws on a lone surrogate. apps/api/src/common/validators.ts has the replacements.
    files: ['apps/api/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['@app/*/*'], message: 'Import a lib through its index: @app/<lib>.' }],
        paths: [{ name: 'class-validator', importNames: ['IsOptional', 'IsEmail'], message: 'Use OptionalField / NullableField / IsEmailAddress from apps/api/src/common/validators.ts.' }],
      }],
    },
  },
  {
    files: ['**/*.mjs', 'apps/api/public/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', localStorage: 'readonly', globalThis: 'readonly' } },
  },
);
