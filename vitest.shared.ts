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
