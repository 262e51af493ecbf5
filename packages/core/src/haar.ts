/**
 * A small seeded generator of standard normal numbers (mulberry32 + Box–Muller), so that
 * initial rotations are reproducible from a seed on every backend.
 */
export function normalGenerator(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** Sign of the determinant of a row-major n×n matrix (Gaussian elimination, partial pivoting). */
function detSign(m: Float64Array, n: number): number {
  const a = Float64Array.from(m);
  let sign = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]!) > Math.abs(a[p * n + c]!)) p = r;
    const pivot = a[p * n + c]!;
    if (pivot === 0) return 0;
    if (p !== c) {
      for (let k = 0; k < n; k++) {
        const t = a[c * n + k]!;
        a[c * n + k] = a[p * n + k]!;
        a[p * n + k] = t;
      }
      sign = -sign;
    }
    if (pivot < 0) sign = -sign;
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c]! / pivot;
      for (let k = c; k < n; k++) a[r * n + k]! -= f * a[c * n + k]!;
    }
  }
  return sign;
}

/**
 * A rotation drawn from the uniform (Haar) distribution on SO(n), as geotorch draws it: the Q
 * factor of a standard normal matrix with the signs fixed so that diag(R) ≥ 0, then the first
 * column negated if det(Q) < 0. Computed in float64 on the host; returns row-major values.
 *
 * ```js
 * const r = haarRotation(3, normalGenerator(0));  // Float64Array(9), orthogonal, det +1
 * ```
 */
export function haarRotation(n: number, normal: () => number): Float64Array {
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`haarRotation: n must be a positive integer, got ${n}`);
  const g = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) g[i] = normal();
  // Modified Gram–Schmidt on the columns, done twice for orthogonality to float64 precision.
  // The R factor of Gram–Schmidt has a positive diagonal, which is the sign convention wanted.
  const q = Float64Array.from(g);
  for (let c = 0; c < n; c++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < c; p++) {
        let dot = 0;
        for (let r = 0; r < n; r++) dot += q[r * n + p]! * q[r * n + c]!;
        for (let r = 0; r < n; r++) q[r * n + c]! -= dot * q[r * n + p]!;
      }
    }
    let norm = 0;
    for (let r = 0; r < n; r++) norm += q[r * n + c]! ** 2;
    norm = Math.sqrt(norm);
    for (let r = 0; r < n; r++) q[r * n + c]! /= norm;
  }
  if (detSign(q, n) < 0) for (let r = 0; r < n; r++) q[r * n]! *= -1;
  return q;
}
