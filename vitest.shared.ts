/**
 * Shared by every package's vitest config: resolve workspace packages (`@rotograd/*`) to their
 * TypeScript sources through the `@rotograd/source` export condition, so tests need no build.
 * Vite applies `resolve.conditions` to browser code and `ssr.resolve.*` to code run in Node;
 * both are set (setting them replaces Vite's defaults, which are repeated here).
 */
export const sourceConditions = {
  resolve: { conditions: ['@rotograd/source', 'module', 'browser', 'development'] },
  ssr: {
    resolve: {
      conditions: ['@rotograd/source', 'module', 'node', 'development'],
      externalConditions: ['@rotograd/source'],
    },
  },
};

/**
 * A package's vitest config: sources resolved as above, each test file in its own process
 * (tfjs-core's engine is global). `setupFiles` is spelled out in each config: the backend matrix
 * (packages/test-matrix) runs every suite whose config names `@rotograd/testing/setup-backend`.
 */
export function packageTestConfig(options: {
  include: string[];
  setupFiles: string[];
  testTimeout?: number;
}) {
  return {
    ...sourceConditions,
    test: {
      include: options.include,
      setupFiles: options.setupFiles,
      // Generous: CI machines have run these 2–3× slower than this one; a hang still fails.
      testTimeout: options.testTimeout ?? 300_000,
      pool: 'forks' as const,
    },
  };
}
