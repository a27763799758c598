/**
 * CUDA smoke test of `scripts/gpu-check.sh` (step 8): `OnnxNodeRuntime({ executionProvider: 'cuda' })` loads a
 * `writeOnnxMlp` model, runs 1,000 rows and compares them with `mlpForward`. TF32 is on by default, so the bound
 * is 1e-3; `exact` turns it off (`use_tf32: 0`) and the bound is the CPU's 1e-5. Exits 1 when the model did not
 * run on CUDA or the difference is over the bound.
 *
 *   npx tsx bench/inference/gpu-smoke.ts [exact]
 */
import { writeOnnxMlp } from '../../packages/core/src/onnx/index.js';
import { mlpForward } from '../../packages/core/src/train/mlp-forward.js';
import { initMlp } from '../../packages/core/src/train/mlp-init.js';
import { OnnxNodeRuntime, probeCuda } from '../../packages/node/src/onnx/index.js';

const exact = process.argv[2] === 'exact';
console.log('probeCuda:', JSON.stringify(probeCuda()));
const runtime = new OnnxNodeRuntime({ executionProvider: 'cuda', exact });
const weights = initMlp({ inputWidth: 20, hidden: [32, 16], classes: 5, seed: 3 });
const model = await runtime.loadBytes(writeOnnxMlp(weights), { name: 'smoke' });
const rows = 1000;
const x = Float32Array.from({ length: rows * 20 }, (_, i) => Math.sin(i * 0.37) * 2);
const got = await model.run(x, rows);
const want = mlpForward(weights, x, rows);
let maxAbs = 0;
for (let i = 0; i < want.length; i++) maxAbs = Math.max(maxAbs, Math.abs(got[i]! - want[i]!));
const bound = exact ? 1e-5 : 1e-3;
console.log(
  `${exact ? 'exact: ' : ''}${runtime.name} (${runtime.providerReason}); model provider ${model.provider}; ` +
    `max |cuda − mlpForward| = ${maxAbs.toExponential(2)} (bound ${bound})`,
);
await model.dispose();
if (model.provider !== 'cuda' || !(maxAbs <= bound)) process.exit(1);
