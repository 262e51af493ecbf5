import type { Options } from 'tsup';

/**
 * The build every published `@rotograd/*` package shares: one ESM entry with type declarations
 * and source maps for ES2022. Each package adds what it keeps external (its peers).
 */
export const libraryBuild = {
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
} satisfies Options;
