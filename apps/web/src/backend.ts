import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';

/** The backend in use and why the better ones were passed over. */
export interface BackendChoice {
  backend: string;
  skipped: string[];
}

/** Uses WebGPU, else WebGL, else plain JavaScript (`cpu`). */
export async function chooseBackend(
  prefer: readonly string[] = ['webgpu', 'webgl', 'cpu'],
): Promise<BackendChoice> {
  const skipped: string[] = [];
  for (const name of prefer) {
    try {
      if (name === 'webgpu' && !('gpu' in navigator)) {
        skipped.push('webgpu (navigator.gpu missing)');
        continue;
      }
      if (await tf.setBackend(name)) {
        await tf.ready();
        return { backend: tf.getBackend(), skipped };
      }
      skipped.push(`${name} (failed to initialise)`);
    } catch (e) {
      skipped.push(`${name} (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  throw new Error(`no TensorFlow.js backend initialised: ${skipped.join('; ')}`);
}
