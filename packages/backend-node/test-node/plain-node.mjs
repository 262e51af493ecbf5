// Runs the built package in plain Node (no vitest, no bundler): the default choice computes, and
// nothing is printed on the way (a child process's stdout and stderr are checked).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = `
import * as tf from '@tensorflow/tfjs-core';
import { LINEAR_COMBINATION, useNodeBackend } from '@rotograd/backend-node';
const choice = await useNodeBackend();
const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
const v = (await y.data())[0];
// On wasm, the SIMD linear-combination kernel from the built bundle: 2·[1..6] − [6..1].
let combination = null;
if (tf.getBackend() === 'wasm') {
  const a = tf.tensor1d([1, 2, 3, 4, 5, 6]);
  const b = tf.tensor1d([6, 5, 4, 3, 2, 1]);
  const [c] = tf.engine().runKernel(LINEAR_COMBINATION, [a, b], { coefficients: [2, -1], rows: 1 });
  combination = Array.from(await c.data());
}
console.log('RESULT ' + JSON.stringify({ ...choice, v, combination, now: tf.getBackend() }));
`;
const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  encoding: 'utf8',
});
assert.equal(child.status, 0, child.stderr);
const [before, json] = child.stdout.split('RESULT ');
assert.equal(before, '', 'nothing printed on stdout');
assert.equal(child.stderr, '', 'nothing printed on stderr');
const result = JSON.parse(json);
assert.equal(result.v, 11);
if (result.backend === 'wasm') assert.deepEqual(result.combination, [-4, -1, 2, 5, 8, 11]);
assert.equal(result.now, result.backend);
assert.ok(['tensorflow', 'wasm'].includes(result.backend), `got ${result.backend}`);
console.log(
  `plain Node: useNodeBackend() chose ${result.backend}: ${result.reason}; nothing printed`,
);
