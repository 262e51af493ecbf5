// First, on its own: tfjs-core, so that its flags are registered before @rotograd/core registers
// its gradients (which reads one of them).
import '@tensorflow/tfjs-core';
import {
  distancesToOptima,
  type Point,
  SUCCESS_RADIUS,
  TOY_DEFAULTS,
  type ToyMethod,
  ToyTrainer,
} from '@rotograd/app-toy/toy-problem';
import { chooseBackend } from './backend';
import { drawPanel, landscapeImage, type Track } from './landscape';

const STYLE: Record<ToyMethod, { color: string; dash: number[]; width: number }> = {
  VanillaMTL: { color: '#f8fafc', dash: [7, 5], width: 2.6 },
  RotateOnly: { color: '#fbbf24', dash: [], width: 2.6 },
  RotoGrad: { color: '#f43f5e', dash: [], width: 2.6 },
};
/** Steps trained between two redraws (and read back together). */
const STEPS_PER_FRAME = 4;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const steps = Number(params.get('steps') ?? TOY_DEFAULTS.steps);

const methodSelect = $<HTMLSelectElement>('method');
const lrInput = $<HTMLInputElement>('lr');
const lrValue = $<HTMLOutputElement>('lr-value');
const seedInput = $<HTMLInputElement>('seed');
const status = $('status');
if (params.has('method')) methodSelect.value = params.get('method')!;
if (params.has('seed')) seedInput.value = params.get('seed')!;
if (params.has('lr')) lrInput.value = String(Math.log10(Number(params.get('lr'))));

const lr = () => 10 ** Number(lrInput.value);
const showLr = () => {
  lrValue.textContent = lr().toFixed(3);
};
showLr();

interface Run {
  method: ToyMethod;
  trainer: ToyTrainer;
  tracks: [Point[], Point[]];
}

let generation = 0;
let runs: Run[] = [];
const canvases = [0, 1].map((i) => $<HTMLCanvasElement>(`task-${i}`));
const contexts = canvases.map((c) => c.getContext('2d')!);
const backgrounds = canvases.map((c, i) => {
  const bg = document.createElement('canvas');
  bg.width = c.width;
  bg.height = c.height;
  bg.getContext('2d')!.putImageData(landscapeImage(i as 0 | 1, c.width), 0, 0);
  return bg;
});

function draw(): void {
  for (const task of [0, 1] as const) {
    const tracks: Track[] = runs.map((r) => ({ ...STYLE[r.method], points: r.tracks[task] }));
    drawPanel(contexts[task]!, backgrounds[task]!, task, tracks);
  }
  const body = document.querySelector('#distances tbody')!;
  body.innerHTML = '';
  for (const r of runs) {
    const last = r.tracks.map((t) => t[t.length - 1]) as [Point?, Point?];
    const d = last[0] && last[1] ? distancesToOptima([last[0], last[1]]) : null;
    const ok = d?.every((v) => v < SUCCESS_RADIUS) ?? false;
    const row = document.createElement('tr');
    row.innerHTML =
      `<td><span class="swatch" style="background:${STYLE[r.method].color}"></span>${r.method}</td>` +
      `<td data-testid="dist-${r.method}-0">${d ? d[0].toFixed(3) : '–'}</td>` +
      `<td data-testid="dist-${r.method}-1">${d ? d[1].toFixed(3) : '–'}</td>` +
      `<td data-testid="ok-${r.method}">${ok ? '✓' : ''}</td>`;
    body.append(row);
  }
}

async function train(): Promise<void> {
  const mine = ++generation;
  for (const r of runs) r.trainer.dispose();
  const methods: ToyMethod[] =
    methodSelect.value === 'both' ? ['VanillaMTL', 'RotoGrad'] : [methodSelect.value as ToyMethod];
  const seed = Math.max(0, Math.floor(Number(seedInput.value) || 0));
  runs = methods.map((method) => ({
    method,
    trainer: new ToyTrainer(method, seed, { lrRotation: lr(), steps }),
    tracks: [[], []],
  }));
  document.body.dataset.state = 'training';
  const started = performance.now();
  for (let t = 0; t < steps; t += STEPS_PER_FRAME) {
    const n = Math.min(STEPS_PER_FRAME, steps - t);
    // Both methods' steps are queued before either is read back.
    const seen = await Promise.all(runs.map((r) => r.trainer.steps(n)));
    if (mine !== generation) return; // restarted
    runs.forEach((r, k) => {
      for (const s of seen[k]!) {
        r.tracks[0].push(s.preds[0]);
        r.tracks[1].push(s.preds[1]);
      }
    });
    status.textContent = `step ${t + n} / ${steps}`;
    draw();
    await new Promise((resolve) => requestAnimationFrame(resolve));
    if (mine !== generation) return;
  }
  for (const r of runs) {
    const final = await r.trainer.predict();
    r.tracks[0].push(final[0]);
    r.tracks[1].push(final[1]);
  }
  if (mine !== generation) return;
  draw();
  const seconds = (performance.now() - started) / 1000;
  status.textContent = `done: ${steps} steps in ${seconds.toFixed(1)} s (seed ${seed})`;
  document.body.dataset.state = 'done';
}

lrInput.addEventListener('input', () => {
  showLr();
  // Takes effect at once, decaying from the current step on.
  for (const r of runs) r.trainer.lrRotation = lr() * r.trainer.settings.lrDecay ** r.trainer.t;
});
for (const el of [methodSelect, seedInput]) el.addEventListener('change', () => void train());
$('restart').addEventListener('click', () => void train());

const prefer = params.get('backend')?.split(',') ?? ['webgpu', 'webgl', 'cpu'];
chooseBackend(prefer)
  .then(({ backend, skipped }) => {
    $('backend').textContent = backend;
    $('backend-note').textContent = skipped.length ? `(not available: ${skipped.join('; ')})` : '';
    return train();
  })
  .catch((e: unknown) => {
    $('backend').textContent = 'none';
    status.textContent = `error: ${e instanceof Error ? e.message : String(e)}`;
    document.body.dataset.state = 'error';
  });
