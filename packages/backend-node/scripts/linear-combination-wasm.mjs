// Generates the WebAssembly module behind the wasm backend's `RotogradLinearCombination` kernel
// (src/linear-combination.ts): functions lc1…lc4, `out[i] = (acc ? out[i] : 0) + Σ_j c_j·x_j[i]`
// over `len` floats (a multiple of 4) in f32x4 lanes, on the tfjs wasm backend's own memory.
//
//   node scripts/linear-combination-wasm.mjs          # prints the text format and the base64
//   node scripts/linear-combination-wasm.mjs --check  # exits 1 if src/ embeds other bytes
//
// Needs the `wabt` devDependency (WebAssembly's text-to-binary compiler, in JavaScript).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import createWabt from 'wabt';

export function linearCombinationWat() {
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
  return `(module\n  (import "env" "memory" (memory 0))\n${[1, 2, 3, 4].map(fn).join('\n')}\n)\n`;
}

export async function linearCombinationWasm() {
  const wabt = await createWabt();
  const mod = wabt.parseWat('linear-combination.wat', linearCombinationWat(), { simd: true });
  mod.validate();
  const { buffer } = mod.toBinary({});
  mod.destroy();
  return Buffer.from(buffer).toString('base64');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const base64 = await linearCombinationWasm();
  if (process.argv.includes('--check')) {
    const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'linear-combination.ts');
    if (!readFileSync(src, 'utf8').includes(base64)) {
      console.error('src/linear-combination.ts does not embed the module this script builds');
      process.exit(1);
    }
  } else {
    console.log(linearCombinationWat());
    console.log(base64);
  }
}
