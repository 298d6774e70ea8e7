// Lint keeps the layering visible in the tree (spec/ARCHITECTURE.md):
//   src/format      pure archive codec: node built-ins, tar-stream, stream-json only
//   src/core        errors, digests, pipelines: may import format
//   src/adapters/*  one folder per store: may import format and core, never cli or transport
//   src/transport   where archive bytes live: may import format and core, never adapters or cli
//   src/cli         parses and dispatches to library functions; reaches stores through src/adapters/registry.ts
//   src/adapters/registry.ts  the stores of this build, one line each
import tseslint from 'typescript-eslint';

const storeClients = ['@qdrant/*', 'ioredis', '@aws-sdk/*', 'commander'];
const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'bench/out/**', '**/*.as.ts'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/format/**'],
    rules: restrict([...storeClients, '**/core/**', '**/adapters/**', '**/cli/**', '**/transport/**'],
      'src/format is the pure codec: no store client, AWS SDK, CLI, adapter or transport code.'),
  },
  {
    files: ['src/core/**'],
    rules: restrict([...storeClients, '**/adapters/**', '**/cli/**', '**/transport/**'],
      'src/core may import only src/format.'),
  },
  {
    files: ['src/adapters/**'],
    rules: restrict(['@aws-sdk/*', 'commander', '**/cli/**', '**/transport/**'],
      'adapters may import format and core only.'),
  },
  {
    // The CLI names no store: it reaches them through the registry. The demo is the exception by
    // design: it is built on the synthetic store and the memory sink.
    files: ['src/cli/**'],
    rules: restrict(['**/adapters/*/**', '!**/adapters/synthetic/index.ts', '!**/adapters/memory/index.ts'],
      'the CLI reaches stores through src/adapters/registry.ts only.'),
  },
  {
    files: ['src/transport/**'],
    rules: restrict(['@qdrant/*', 'ioredis', 'commander', '**/adapters/**', '**/cli/**'],
      'transports may import format and core only.'),
  },
);
