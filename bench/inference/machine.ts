import { availableParallelism, cpus, totalmem } from 'node:os';

/** Facts about the machine a bench ran on. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly nproc: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly onnxruntime: string;
  /** `cpu`, `cuda` or `webgpu`, as the SDK runtime chose it. */
  readonly executionProvider: string;
  /** Why that provider. */
  readonly providerReason: string;
}

/** Collects {@link MachineInfo}; `onnxruntime` is onnxruntime-node's version string. */
export function machineInfo(onnxruntime: string, executionProvider: string, providerReason: string): MachineInfo {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    nproc: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    onnxruntime,
    executionProvider,
    providerReason,
  };
}
