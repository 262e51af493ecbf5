// Generates the WebAssembly module of our wasm kernels (src/simd-module.ts), run on the tfjs wasm
// backend's own memory in f32x4 lanes:
// - lc1…lc4 (the `RotogradLinearCombination` kernel, src/linear-combination.ts):
//   `out[i] = (acc ? out[i] : 0) + Σ_j c_j·x_j[i]` over `len` floats (a multiple of 4);
// - mm (plain products, src/wasm-kernels.ts): `C = A·B` for row-major `A [m, k]` and a `[k, n]`
//   panel of B and of C whose rows are `ldb` and `ldc` floats apart; m even and n a multiple of
//   16: two rows of C by 16 columns at a time, in eight accumulators, summing over k in order;
// - mma (sums of two products, src/symmetric-product.ts): `C += A·B`, the same loops with the
//   accumulators starting from C;
// - tr (transposes, src/wasm-kernels.ts): `out = xᵀ` for a row-major `x [rows, cols]`, both
//   multiples of 32: 32×32 tiles, each as 4×4 blocks of four loads, eight shuffles, four stores
//   into a 4 kB scratch, then copied out row by row; atr (`RotogradAddTranspose`,
//   src/add-transpose.ts), the same loops for a square x: `out = α·x + β·xᵀ`, each row of an out
//   tile α times x's there plus β times the scratch's;
// - mir (symmetric products, src/symmetric-product.ts): each entry above the diagonal of a
//   row-major `[n, n]` C set to `sign` times its mirror below, n a multiple of 4;
// - dot (`RotogradInnerProduct`, src/inner-product.ts): `Σ_i a[i]·b[i]` over `len` floats in
//   sixteen partial sums (four f32x4 accumulators, combined pairwise at the end);
// - cp (`Slice`, `SplitV`, src/wasm-kernels.ts): `rows` runs of `run` bytes copied from `src` to
//   `dst`, `srcStride` and `dstStride` bytes apart, sixteen bytes at a time;
// - sqrt (`Sqrt`, src/wasm-kernels.ts): `out[i] = √x[i]` over `len` floats, four at a time
//   (IEEE square roots, correctly rounded either way).
//
//   node scripts/simd-wasm.mjs          # prints the text format and the base64
//   node scripts/simd-wasm.mjs --check  # exits 1 if src/ embeds other bytes
//
// Needs the `wabt` devDependency (WebAssembly's text-to-binary compiler, in JavaScript).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import createWabt from 'wabt';

export function simdWat() {
  const fn = (k) => {
    const params = Array.from({ length: k }, (_, j) => `(param $x${j} i32) (param $c${j} f32)`);
    const splats = Array.from(
      { length: k },
      (_, j) => `    (local.set $s${j} (f32x4.splat (local.get $c${j})))`,
    );
    const term = (j) =>
      `(f32x4.mul (v128.load (i32.add (local.get $x${j}) (local.get $i))) (local.get $s${j}))`;
    // Pairwise: (t0 + t1) + (t2 + t3).
    const sum = (lo, hi) =>
      hi - lo === 1
        ? term(lo)
        : `(f32x4.add ${sum(lo, (lo + hi) >> 1)} ${sum((lo + hi) >> 1, hi)})`;
    return `  (func (export "lc${k}") (param $out i32) (param $len i32) (param $acc i32) ${params.join(' ')}
    (local $i i32) (local $end i32) (local $v v128) ${Array.from({ length: k }, (_, j) => `(local $s${j} v128)`).join(' ')}
${splats.join('\n')}
    (local.set $end (i32.shl (local.get $len) (i32.const 2)))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $v ${sum(0, k)})
        (if (local.get $acc)
          (then
            (local.set $v
              (f32x4.add (v128.load (i32.add (local.get $out) (local.get $i))) (local.get $v)))))
        (v128.store (i32.add (local.get $out) (local.get $i)) (local.get $v))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $loop))))`;
  };
  return `(module\n  (import "env" "memory" (memory 0))\n${[1, 2, 3, 4].map(fn).join('\n')}\n${matMulWat('mm', false)}\n${matMulWat('mma', true)}\n${transposeWat()}\n${transposeWat('atr')}\n${mirrorWat()}\n${sqrtWat()}\n${dotWat()}\n${copyWat()}\n)\n`;
}

/**
 * `mm(a, b, c, m, k, n, ldb, ldc)`: C = A·B, byte addresses; m even, n a multiple of 16. With
 * `accumulate` (`mma`): C += A·B, each entry's sum starting from C's.
 */
function matMulWat(name, accumulate) {
  const rows = [0, 1];
  const quads = [0, 1, 2, 3];
  const accs = rows.flatMap((r) => quads.map((q) => `$c${r}${q}`));
  const fma = rows.flatMap((r) =>
    quads.map(
      (q) =>
        `(local.set $c${r}${q} (f32x4.add (local.get $c${r}${q}) (f32x4.mul (local.get $s${r}) (local.get $b${q}))))`,
    ),
  );
  const load = (r) =>
    quads.map((q) => `(local.set $c${r}${q} (v128.load offset=${16 * q} (local.get $crow)))`);
  const init = accumulate
    ? [
        '(local.set $crow (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $cs))) (local.get $jb)))',
        ...load(0),
        '(local.set $crow (i32.add (local.get $crow) (local.get $cs)))',
        ...load(1),
      ]
    : accs.map((c) => `(local.set ${c} (v128.const i32x4 0 0 0 0))`);
  const store = (r) =>
    quads.map((q) => `(v128.store offset=${16 * q} (local.get $crow) (local.get $c${r}${q}))`);
  return `  (func (export "${name}") (param $a i32) (param $b i32) (param $c i32) (param $m i32) (param $k i32) (param $n i32) (param $ldb i32) (param $ldc i32)
    (local $i i32) (local $jb i32) (local $nb i32) (local $kb i32) (local $bs i32) (local $cs i32) (local $pa0 i32) (local $pa1 i32)
    (local $pend i32) (local $bp i32) (local $crow i32) (local $s0 v128) (local $s1 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128) ${accs.map((c) => `(local ${c} v128)`).join(' ')}
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (local.set $kb (i32.shl (local.get $k) (i32.const 2)))
    (local.set $bs (i32.shl (local.get $ldb) (i32.const 2)))
    (local.set $cs (i32.shl (local.get $ldc) (i32.const 2)))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $jb (i32.const 0))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_u (local.get $jb) (local.get $nb)))
            ${init.join('\n            ')}
            (local.set $pa0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $kb))))
            (local.set $pa1 (i32.add (local.get $pa0) (local.get $kb)))
            (local.set $pend (local.get $pa1))
            (local.set $bp (i32.add (local.get $b) (local.get $jb)))
            (block $kDone
              (loop $ks
                (br_if $kDone (i32.ge_u (local.get $pa0) (local.get $pend)))
                (local.set $s0 (f32x4.splat (f32.load (local.get $pa0))))
                (local.set $s1 (f32x4.splat (f32.load (local.get $pa1))))
                ${quads.map((q) => `(local.set $b${q} (v128.load offset=${16 * q} (local.get $bp)))`).join('\n                ')}
                ${fma.join('\n                ')}
                (local.set $pa0 (i32.add (local.get $pa0) (i32.const 4)))
                (local.set $pa1 (i32.add (local.get $pa1) (i32.const 4)))
                (local.set $bp (i32.add (local.get $bp) (local.get $bs)))
                (br $ks)))
            (local.set $crow
              (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $cs))) (local.get $jb)))
            ${store(0).join('\n            ')}
            (local.set $crow (i32.add (local.get $crow) (local.get $cs)))
            ${store(1).join('\n            ')}
            (local.set $jb (i32.add (local.get $jb) (i32.const 64)))
            (br $cols)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $rows))))`;
}

/** f32 lanes of two vectors (0–3 the first's, 4–7 the second's) as i8x16.shuffle's 16 bytes. */
const lanes = (...ls) => ls.flatMap((l) => [0, 1, 2, 3].map((b) => 4 * l + b)).join(' ');

const shuffle = (a, b, ls) => `(i8x16.shuffle ${lanes(...ls)} (local.get ${a}) (local.get ${b}))`;

/**
 * A 4×4 block: rows `p`, `p + rb`, `p + 2rb`, `p + 3rb` loaded, transposed by eight shuffles,
 * and `store(k, column)` writing its column k (locals $v0…$v3, $t0…$t3).
 */
function transposeBlock(store) {
  const columns = [
    ['$t0', '$t2', [0, 1, 4, 5]],
    ['$t0', '$t2', [2, 3, 6, 7]],
    ['$t1', '$t3', [0, 1, 4, 5]],
    ['$t1', '$t3', [2, 3, 6, 7]],
  ];
  return [
    '(local.set $v0 (v128.load (local.get $p)))',
    '(local.set $v1 (v128.load (i32.add (local.get $p) (local.get $rb))))',
    '(local.set $v2 (v128.load (i32.add (local.get $p) (local.get $rb2))))',
    '(local.set $v3 (v128.load (i32.add (local.get $p) (local.get $rb3))))',
    `(local.set $t0 ${shuffle('$v0', '$v1', [0, 4, 1, 5])})`,
    `(local.set $t1 ${shuffle('$v0', '$v1', [2, 6, 3, 7])})`,
    `(local.set $t2 ${shuffle('$v2', '$v3', [0, 4, 1, 5])})`,
    `(local.set $t3 ${shuffle('$v2', '$v3', [2, 6, 3, 7])})`,
    ...columns.map(([a, b, ls], k) => store(k, shuffle(a, b, ls))),
  ].join('\n          ');
}

/**
 * `tr(x, out, rows, cols, scratch)`: out = xᵀ, byte addresses; rows and cols multiples of 32;
 * `atr(x, out, n, n, scratch, α, β)`: out = α·x + β·xᵀ for a square x;
 * `scratch` 4 kB. Each 32×32 tile is transposed into the scratch in 4×4 blocks (four loads, eight
 * shuffles, four stores), then copied out a row of 128 bytes at a time: rows of x and out that
 * lie a power of two apart (1 kB at n = 256) would otherwise share the few cache sets
 * a tile maps to, and evict each other between its blocks.
 */
function transposeWat(name = 'tr') {
  const add = name === 'atr';
  const loop = (name, v, end, step, body) => `(local.set ${v} (i32.const 0))
      (block $${name}Done
        (loop $${name}
          (br_if $${name}Done (i32.ge_u (local.get ${v}) ${end}))
          ${body}
          (local.set ${v} (i32.add (local.get ${v}) (i32.const ${step})))
          (br $${name})))`;
  // One 4×4 block: rows p, p + rb, p + 2rb, p + 3rb of x to scratch rows q, q + 128, ….
  const block = `${transposeBlock((k, v) => `(v128.store${k === 0 ? '' : ` offset=${128 * k}`} (local.get $q) ${v})`)}
              (local.set $p (i32.add (local.get $p) (i32.const 16)))
              (local.set $q (i32.add (local.get $q) (i32.const 512)))`;
  const intoScratch = `(local.set $p (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (i32.add (local.get $ti) (local.get $i)) (local.get $cols)) (local.get $tj)) (i32.const 2))))
            (local.set $q (i32.add (local.get $scratch) (i32.shl (local.get $i) (i32.const 2))))
            ${loop('blocks', '$j', '(i32.const 32)', 4, block)}`;
  const copies = [0, 1, 2, 3, 4, 5, 6, 7]
    .map(
      (k) =>
        `(v128.store offset=${16 * k} (local.get $q) (v128.load offset=${16 * k} (local.get $p)))`,
    )
    .join('\n            ');
  const outOfScratch = `(local.set $p (i32.add (local.get $scratch) (i32.shl (local.get $i) (i32.const 7))))
            (local.set $q (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (local.get $tj) (local.get $i)) (local.get $rows)) (local.get $ti)) (i32.const 2))))
            ${copies}`;
  // atr: row i of the out tile at (tj, ti) (rows tj…, columns ti…) = α·x's row there + β·scratch's.
  const combined = [0, 1, 2, 3, 4, 5, 6, 7]
    .map(
      (k) =>
        `(v128.store offset=${16 * k} (local.get $q) (f32x4.add (f32x4.mul (local.get $sa) (v128.load offset=${16 * k} (local.get $r))) (f32x4.mul (local.get $sb) (v128.load offset=${16 * k} (local.get $p)))))`,
    )
    .join('\n            ');
  const combineWithScratch = `(local.set $p (i32.add (local.get $scratch) (i32.shl (local.get $i) (i32.const 7))))
            (local.set $q (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (local.get $tj) (local.get $i)) (local.get $rows)) (local.get $ti)) (i32.const 2))))
            (local.set $r (i32.add (local.get $x) (i32.sub (local.get $q) (local.get $out))))
            ${combined}`;
  const tile = `${loop('rowsI', '$i', '(i32.const 32)', 4, intoScratch)}
        ${loop('rowsO', '$i', '(i32.const 32)', 1, add ? combineWithScratch : outOfScratch)}`;
  const params = add ? ' (param $alpha f32) (param $beta f32)' : '';
  const init = add
    ? `(local.set $sa (f32x4.splat (local.get $alpha)))
    (local.set $sb (f32x4.splat (local.get $beta)))`
    : '';
  return `  (func (export "${name}") (param $x i32) (param $out i32) (param $rows i32) (param $cols i32) (param $scratch i32)${params}
    (local $ti i32) (local $tj i32) (local $i i32) (local $j i32) (local $p i32) (local $q i32) (local $r i32)
    (local $sa v128) (local $sb v128)
    (local $rb i32) (local $rb2 i32) (local $rb3 i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    ${init}
    (local.set $rb (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $rb2 (i32.shl (local.get $rb) (i32.const 1)))
    (local.set $rb3 (i32.add (local.get $rb2) (local.get $rb)))
    ${loop('tilesI', '$ti', '(local.get $rows)', 32, loop('tilesJ', '$tj', '(local.get $cols)', 32, tile))}
  )`;
}

/**
 * `mir(c, n, sign)`: `C[i][j] = sign·C[j][i]` for every j > i, byte address c, n a multiple of 4.
 * Off the diagonal in 4×4 blocks (four loads down a column strip, eight shuffles, a multiply by
 * sign, four stores along a row strip); in each diagonal block its six entries one by one.
 */
function mirrorWat() {
  const signed = (v) => `(f32x4.mul (local.get $s) ${v})`;
  const rowOf = ['', '$rb', '$rb2', '$rb3'];
  // The block at rows bj…bj+3, columns bi…bi+3 (p), transposed into rows bi…, columns bj… (q).
  const block = transposeBlock(
    (k, v) =>
      `(v128.store ${k === 0 ? '(local.get $q)' : `(i32.add (local.get $q) (local.get ${rowOf[k]}))`} ${signed(v)})`,
  );
  // Entry (r, k) above the diagonal of the block at (bi, bi), from (k, r).
  const entry = (r, k) =>
    `(f32.store offset=${4 * k} (i32.add (local.get $d) (i32.mul (i32.const ${r}) (local.get $rb))) (f32.mul (local.get $sign) (f32.load offset=${4 * r} (i32.add (local.get $d) (i32.mul (i32.const ${k}) (local.get $rb))))))`;
  const diagonal = [
    [0, 1],
    [0, 2],
    [0, 3],
    [1, 2],
    [1, 3],
    [2, 3],
  ]
    .map(([r, k]) => entry(r, k))
    .join('\n        ');
  return `  (func (export "mir") (param $c i32) (param $n i32) (param $sign f32)
    (local $bi i32) (local $bj i32) (local $p i32) (local $q i32) (local $d i32)
    (local $rb i32) (local $rb2 i32) (local $rb3 i32) (local $s v128)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $s (f32x4.splat (local.get $sign)))
    (local.set $rb (i32.shl (local.get $n) (i32.const 2)))
    (local.set $rb2 (i32.shl (local.get $rb) (i32.const 1)))
    (local.set $rb3 (i32.add (local.get $rb2) (local.get $rb)))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $bi) (local.get $n)))
        ;; the diagonal block at (bi, bi)
        (local.set $d (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $bi) (local.get $n)) (local.get $bi)) (i32.const 2))))
        ${diagonal}
        (local.set $bj (i32.add (local.get $bi) (i32.const 4)))
        (local.set $p (i32.add (local.get $d) (i32.shl (local.get $rb) (i32.const 2))))
        (local.set $q (i32.add (local.get $d) (i32.const 16)))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_u (local.get $bj) (local.get $n)))
          ${block}
            (local.set $p (i32.add (local.get $p) (i32.shl (local.get $rb) (i32.const 2))))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (local.set $bj (i32.add (local.get $bj) (i32.const 4)))
            (br $cols)))
        (local.set $bi (i32.add (local.get $bi) (i32.const 4)))
        (br $rows))))`;
}

/** `sqrt(x, out, len)`: out[i] = √x[i] for `len` floats, byte addresses. */
function sqrtWat() {
  return `  (func (export "sqrt") (param $x i32) (param $out i32) (param $len i32)
    (local $i i32) (local $end i32) (local $vec i32)
    (local.set $end (i32.shl (local.get $len) (i32.const 2)))
    (local.set $vec (i32.and (local.get $end) (i32.const -16)))
    (block $done
      (loop $quads
        (br_if $done (i32.ge_u (local.get $i) (local.get $vec)))
        (v128.store (i32.add (local.get $out) (local.get $i))
          (f32x4.sqrt (v128.load (i32.add (local.get $x) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $quads)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $i) (local.get $end)))
        (f32.store (i32.add (local.get $out) (local.get $i))
          (f32.sqrt (f32.load (i32.add (local.get $x) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $tail))))`;
}

/**
 * `dot(a, b, len)`: `Σ a[i]·b[i]` over `len` floats, byte addresses: sixteen at a time into four
 * f32x4 accumulators (element i into accumulator (i / 4) mod 4, lane i mod 4), the rest one by
 * one into a scalar, then ((acc0 + acc1) + (acc2 + acc3)) summed lane by lane, plus the rest.
 */
function dotWat() {
  const accs = [0, 1, 2, 3];
  const fma = accs
    .map(
      (k) =>
        `(local.set $s${k} (f32x4.add (local.get $s${k}) (f32x4.mul (v128.load offset=${16 * k} (i32.add (local.get $a) (local.get $i))) (v128.load offset=${16 * k} (i32.add (local.get $b) (local.get $i))))))`,
    )
    .join('\n        ');
  return `  (func (export "dot") (param $a i32) (param $b i32) (param $len i32) (result f32)
    (local $i i32) (local $end i32) (local $vec i32) (local $t f32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $end (i32.shl (local.get $len) (i32.const 2)))
    (local.set $vec (i32.and (local.get $end) (i32.const -64)))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $i) (local.get $vec)))
        ${fma}
        (local.set $i (i32.add (local.get $i) (i32.const 64)))
        (br $blocks)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $t (f32.add (local.get $t) (f32.mul (f32.load (i32.add (local.get $a) (local.get $i))) (f32.load (i32.add (local.get $b) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $tail)))
    (local.set $s0 (f32x4.add (f32x4.add (local.get $s0) (local.get $s1)) (f32x4.add (local.get $s2) (local.get $s3))))
    (f32.add
      (f32.add
        (f32.add (f32x4.extract_lane 0 (local.get $s0)) (f32x4.extract_lane 1 (local.get $s0)))
        (f32.add (f32x4.extract_lane 2 (local.get $s0)) (f32x4.extract_lane 3 (local.get $s0))))
      (local.get $t)))`;
}

/** `cp(src, dst, rows, run, srcStride, dstStride)`: strided copy of `rows` runs of `run` bytes. */
function copyWat() {
  return `  (func (export "cp") (param $src i32) (param $dst i32) (param $rows i32) (param $run i32) (param $srcStride i32) (param $dstStride i32)
    (local $r i32) (local $i i32) (local $vec i32)
    (local.set $vec (i32.and (local.get $run) (i32.const -16)))
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $i (i32.const 0))
        (block $vecDone
          (loop $vecLoop
            (br_if $vecDone (i32.ge_u (local.get $i) (local.get $vec)))
            (v128.store (i32.add (local.get $dst) (local.get $i)) (v128.load (i32.add (local.get $src) (local.get $i))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $vecLoop)))
        (block $bytesDone
          (loop $bytesLoop
            (br_if $bytesDone (i32.ge_u (local.get $i) (local.get $run)))
            (i32.store8 (i32.add (local.get $dst) (local.get $i)) (i32.load8_u (i32.add (local.get $src) (local.get $i))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $bytesLoop)))
        (local.set $src (i32.add (local.get $src) (local.get $srcStride)))
        (local.set $dst (i32.add (local.get $dst) (local.get $dstStride)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowsLoop))))`;
}

export async function simdWasm() {
  const wabt = await createWabt();
  const mod = wabt.parseWat('simd.wat', simdWat(), { simd: true });
  mod.validate();
  const { buffer } = mod.toBinary({});
  mod.destroy();
  return Buffer.from(buffer).toString('base64');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const base64 = await simdWasm();
  if (process.argv.includes('--check')) {
    const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'simd-module.ts');
    if (!readFileSync(src, 'utf8').includes(base64)) {
      console.error('src/simd-module.ts does not embed the module this script builds');
      process.exit(1);
    }
  } else {
    console.log(simdWat());
    console.log(base64);
  }
}
