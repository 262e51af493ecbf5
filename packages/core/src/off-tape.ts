import * as tf from '@tensorflow/tfjs-core';

/** The part of tfjs-core's engine state that decides whether kernels are recorded. */
interface TapeState {
  gradientDepth: number;
  activeTape: unknown[];
}

function tapeState(): TapeState | null {
  const state = (tf.engine() as unknown as { state?: Partial<TapeState> }).state;
  return state && typeof state.gradientDepth === 'number' && Array.isArray(state.activeTape)
    ? (state as TapeState)
    : null;
}

/**
 * Runs `f` as if no gradient tape were recording: kernels run inside `f` are not recorded on an
 * enclosing `tf.grads` / `engine().gradients` tape (no tape nodes, no tensors saved for its
 * backward pass), and a gradient computed inside `f` is a top-level one, whose tape is released
 * when it returns. The enclosing tape is restored afterwards, even if `f` throws.
 *
 * Use it for work inside a gradient's forward function that does not lie on the path to the
 * differentiated value: recording it costs one saved-tensor copy per kernel input and holds
 * those tensors until the enclosing gradient returns. Nothing `f` returns can carry a gradient
 * to the enclosing tape. With an engine whose tape state is not the known one, `f` simply runs
 * (recorded as before, so results are the same, only slower).
 *
 * ```js
 * const {grads} = tf.engine().gradients(() => {
 *   const z = backbone(x);
 *   const q = offTape(() => combinedGradient(z));  // not differentiated through
 *   return link(z, q);
 * }, vars);
 * ```
 */
export function offTape<T>(f: () => T): T {
  const state = tapeState();
  if (state === null || state.gradientDepth === 0) return f();
  const { gradientDepth, activeTape } = state;
  state.gradientDepth = 0;
  try {
    return f();
  } finally {
    state.gradientDepth = gradientDepth;
    state.activeTape = activeTape;
  }
}
