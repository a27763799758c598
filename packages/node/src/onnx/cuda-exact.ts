import { DissonanceError } from '@dissonance/core';

/**
 * NVIDIA's documented switch that makes cuBLAS and cuDNN never use TF32 tensor cores for float32 work,
 * whatever the caller asked for. onnxruntime-node 1.30's binding passes only `deviceId` to the CUDA provider,
 * so the provider's own `use_tf32` option cannot be set from Node: the SDK sets this variable instead.
 */
export const TF32_OVERRIDE_VARIABLE = 'NVIDIA_TF32_OVERRIDE';

let cudaStarted = false;
let startedExact = false;

/**
 * Before creating a CUDA session: with `exact`, turns TF32 off for this process (`NVIDIA_TF32_OVERRIDE=0`),
 * which the NVIDIA libraries read when they start, i.e. at the first CUDA session. `E_CONFIG` when a CUDA
 * session already started in this process with TF32 allowed: its libraries would ignore the variable.
 * Returns a note for `providerReason`.
 */
export function prepareCudaPrecision(exact: boolean, env: NodeJS.ProcessEnv = process.env): string {
  const overridden = env[TF32_OVERRIDE_VARIABLE] === '0';
  if (!exact) return overridden ? 'TF32 off (NVIDIA_TF32_OVERRIDE=0)' : 'TF32 allowed';
  if (!overridden) {
    if (cudaStarted && !startedExact) {
      throw new DissonanceError(
        'E_CONFIG',
        `exact: a CUDA session already started in this process with TF32 allowed; set ${TF32_OVERRIDE_VARIABLE}=0 before the first CUDA session (or start the process with it)`,
      );
    }
    env[TF32_OVERRIDE_VARIABLE] = '0';
  }
  return 'exact: TF32 off (NVIDIA_TF32_OVERRIDE=0)';
}

/** Notes that a CUDA session was created in this process (and whether TF32 was off then). */
export function noteCudaStarted(env: NodeJS.ProcessEnv = process.env): void {
  if (cudaStarted) return;
  cudaStarted = true;
  startedExact = env[TF32_OVERRIDE_VARIABLE] === '0';
}
