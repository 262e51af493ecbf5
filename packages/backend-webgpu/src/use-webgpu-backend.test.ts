import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useWebGPUBackend } from './index';

// Runs in Node through Dawn. On a machine without a GPU, Mesa's llvmpipe (OpenGL ES) provides a
// compatibility adapter; ROTOGRAD_WEBGPU=skip leaves this file out where neither exists.
const skip = process.env.ROTOGRAD_WEBGPU === 'skip';

describe.skipIf(skip)('useWebGPUBackend in Node (Dawn)', () => {
  it('throws, saying what was tried and how to fix it, when no adapter matches', async () => {
    await expect(
      useWebGPUBackend({
        dawnOptions: [['backend=nosuch'], ['adapter=none']],
        featureLevel: 'core',
      }),
    ).rejects.toThrow(
      /no WebGPU adapter\. Tried: Dawn create\(\["backend=nosuch"\]\) threw: unrecognised backend 'nosuch'; Dawn create\(\["adapter=none"\]\)\.requestAdapter\(\{ featureLevel: 'core' \}\) gave no adapter\. Fix: pass \{ featureLevel: 'compatibility' \}/,
    );
  });

  it('selects webgpu on a compatibility adapter and computes', async () => {
    const choice = await useWebGPUBackend({
      featureLevel: 'compatibility',
      dawnOptions: [['backend=opengles']],
    });
    expect(choice).toMatchObject({
      backend: 'webgpu',
      source: 'dawn',
      featureLevel: 'compatibility',
    });
    expect(tf.getBackend()).toBe('webgpu');
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeDefined();
    const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect(Array.from(await y.data())).toEqual([11]);
    y.dispose();
  });
});
