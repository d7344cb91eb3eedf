// ESLint for the TypeScript and JavaScript sources: the recommended rules of ESLint and typescript-eslint, without
// type information (tsc -p tsconfig.check.json checks types; see CONTRIBUTING.md). Formatting is Prettier's.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // Build outputs and scratch folders (as in .gitignore).
  globalIgnores(['build*/', 'dist/', 'prebuilds/', '.tap/', 'tmp/', 'scratch/', 'fuzz-findings/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      // A leading underscore marks a binding kept for its position (a callback's parameter, a skipped element).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
      // `cond ? a() : b()` and `ok && f()` as statements are an idiom here, not a mistake.
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
    },
  },
  {
    // The Node.js scripts under scripts/ are CommonJS.
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
