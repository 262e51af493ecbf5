import * as tf from '@tensorflow/tfjs-core';

interface Entry {
  key: readonly unknown[];
  tensors: tf.Tensor[];
  value: unknown;
}

const scopes: Array<Map<object, Entry>> = [];

function sameKey(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Runs `fn` with RotoGrad's rotation matrices cached, like the reference's
 * `rotograd.cached()`: inside, each model computes its rotation matrices (and the matrix
 * exponentials behind them) once and reuses them in `predict`, `computeGradients`, `step` and
 * `rotations[i].matrix()`. A cache entry is keyed by the identity of the weights' data, so an
 * optimizer update inside the scope is seen. Cached tensors are disposed when `fn` returns (or,
 * if it returns a promise, when that settles). Scopes nest.
 *
 * ```js
 * cached(() => {
 *   const preds = model.predict(x);
 *   model.step(x, lossFn, { optimizer, rotogradOptimizer });
 * });
 * ```
 */
export function cached<T>(fn: () => T): T {
  const scope = new Map<object, Entry>();
  scopes.push(scope);
  const close = () => {
    const i = scopes.lastIndexOf(scope);
    if (i >= 0) scopes.splice(i, 1);
    for (const e of scope.values()) tf.dispose(e.tensors);
    scope.clear();
  };
  let result: T;
  try {
    result = fn();
  } catch (err) {
    close();
    throw err;
  }
  if (result instanceof Promise) {
    return result.finally(close) as T;
  }
  close();
  return result;
}

/** True while a {@link cached} scope is open. */
export function isCaching(): boolean {
  return scopes.length > 0;
}

/**
 * Looks `owner`'s value up in the innermost {@link cached} scope, computing and storing it on a
 * miss. Outside a scope it computes and returns `owned: true` (the caller disposes).
 * `tensorsOf` lists the tensors of a value, which the scope keeps and later disposes.
 */
export function cacheLookup<T>(
  owner: object,
  key: readonly unknown[],
  compute: () => T,
  tensorsOf: (value: T) => tf.Tensor[],
): { value: T; owned: boolean } {
  const scope = scopes[scopes.length - 1];
  if (!scope) return { value: compute(), owned: true };
  const hit = scope.get(owner);
  if (hit && sameKey(hit.key, key)) return { value: hit.value as T, owned: false };
  if (hit) tf.dispose(hit.tensors);
  const value = compute();
  const tensors = tensorsOf(value);
  for (const t of tensors) tf.keep(t);
  scope.set(owner, { key, tensors, value });
  return { value, owned: false };
}
