// Generates the WebAssembly module of our wasm kernels (src/simd-module.ts), run on the tfjs wasm
// backend's own memory in f32x4 lanes:
// - lc1…lc4 (the `RotogradLinearCombination` kernel, src/linear-combination.ts):
//   `out[i] = (acc ? out[i] : 0) + Σ_j c_j·x_j[i]` over `len` floats (a multiple of 4);
// - mm (plain products, src/wasm-kernels.ts): `C = A·B` for row-major `A [m, k]` and a `[k, n]`
//   panel of B and of C whose rows are `ldb` and `ldc` floats apart; m even and n a multiple of
//   16: two rows of C by 16 columns at a time, in eight accumulators, summing over k in order;
// - mma (sums of two products, src/symmetric-product.ts): `C += A·B`, the same loops with the
//   accumulators starting from C.
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
  return `(module\n  (import "env" "memory" (memory 0))\n${[1, 2, 3, 4].map(fn).join('\n')}\n${matMulWat('mm', false)}\n${matMulWat('mma', true)}\n)\n`;
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
