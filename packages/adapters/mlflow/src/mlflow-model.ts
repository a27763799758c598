import { DissonanceError } from '@dissonance/core';
import { decodeOnnxModel } from '@dissonance/core/mlp';
import { readMlmodelYaml, type YamlValue } from './mlmodel-yaml.js';

/** What {@link readMlflowModel} found in an MLflow Model folder with the `onnx` flavor. */
export interface MlflowOnnxModel {
  /** The ONNX file's path inside the model folder (the `onnx` flavor's `data`). */
  readonly file: string;
  /** Flavors the `MLmodel` declares. */
  readonly flavors: readonly string[];
  /** Width of the float32 feature input and classes of the probabilities output, from the signature when it has one. */
  readonly shape?: { readonly inputWidth: number; readonly classes: number };
}

/**
 * Reads an `MLmodel` file for the loop: it must declare the `onnx` flavor (`E_MODEL` naming the flavors found
 * otherwise) and a tensor signature with one float input `[-1, width]` and a float `[-1, classes]` output (the one
 * named `probabilities` or `output_probability` when there are several); `E_MODEL` naming what is missing.
 * `what` names the version in messages.
 */
export function readMlflowModel(text: string, what: string): MlflowOnnxModel {
  const fail = (problem: string, details: Record<string, unknown> = {}): DissonanceError =>
    new DissonanceError('E_MODEL', `mlflow: ${what}: ${problem}`, { details: { reason: 'mlmodel', ...details } });
  let doc: { readonly [key: string]: YamlValue };
  try {
    doc = readMlmodelYaml(text);
  } catch (error) {
    throw fail(`its MLmodel file cannot be read (${(error as Error).message})`);
  }
  const flavorMap = asMap(doc.flavors);
  const flavors = Object.keys(flavorMap ?? {});
  const onnx = asMap(flavorMap?.onnx);
  if (onnx === undefined) {
    throw fail(
      `is an MLflow model without the onnx flavor (flavors: ${flavors.length === 0 ? 'none' : flavors.join(', ')}); only ONNX models can be adopted`,
      {
        reason: 'flavor',
        flavors,
      },
    );
  }
  const file = onnx.data;
  if (
    typeof file !== 'string' ||
    file === '' ||
    file.split('/').some((part) => part === '..' || part === '') ||
    file.startsWith('/')
  ) {
    throw fail('its onnx flavor names no model file (data)');
  }
  const signature = asMap(doc.signature);
  const inputs = specs(signature?.inputs);
  const outputs = specs(signature?.outputs);
  if (inputs === undefined || outputs === undefined) return { file, flavors };
  const input = inputs.length === 1 ? inputs[0] : undefined;
  const width = input?.shape.length === 2 ? input.shape[1] : undefined;
  if (input === undefined || input.dtype !== 'float32' || width === undefined || !(width > 0)) {
    throw fail(`its signature input is not one float32 [-1, width] tensor: ${JSON.stringify(inputs)}`, {
      reason: 'signature',
    });
  }
  const candidates = outputs.filter((o) => isFloat(o.dtype) && o.shape.length === 2 && (o.shape[1] ?? 0) > 0);
  const output =
    candidates.find((o) => o.name === 'probabilities') ??
    candidates.find((o) => o.name === 'output_probability') ??
    (candidates.length === 1 ? candidates[0] : undefined);
  const classes = output?.shape[1];
  if (output === undefined || classes === undefined) {
    throw fail(`its signature has no float [-1, classes] probabilities output: ${JSON.stringify(outputs)}`, {
      reason: 'signature',
    });
  }
  return { file, flavors, shape: { inputWidth: width, classes } };
}

/**
 * Input width and classes read from the ONNX graph itself, for an MLflow model logged without a signature: the
 * one graph input `[N, width]` and the float `[N, classes]` output (`probabilities` or `output_probability` when
 * there are several). `E_MODEL` when the graph does not say.
 */
export function onnxShape(bytes: Uint8Array, what: string): { inputWidth: number; classes: number } {
  const fail = (problem: string): DissonanceError =>
    new DissonanceError(
      'E_MODEL',
      `mlflow: ${what}: ${problem}; log it with a signature (mlflow.onnx.log_model(..., signature=…))`,
      {
        details: { reason: 'signature' },
      },
    );
  const graph = decodeOnnxModel(bytes).graph;
  const initializers = new Set(graph?.initializer.map((t) => t.name) ?? []);
  const inputs = (graph?.input ?? []).filter((i) => !initializers.has(i.name));
  const dims = (v: (typeof inputs)[number] | undefined): number[] | undefined =>
    v?.type?.tensorType?.shape?.map((d) => d.value ?? -1);
  const width = inputs.length === 1 ? dims(inputs[0])?.[1] : undefined;
  if (width === undefined || !(width > 0))
    throw fail('its ONNX graph has no single [N, width] input and its MLmodel no signature');
  const outputs = (graph?.output ?? []).filter(
    (o) => o.type?.tensorType?.elemType === 1 && dims(o)?.length === 2 && (dims(o)?.[1] ?? 0) > 0,
  );
  const output =
    outputs.find((o) => o.name === 'probabilities') ??
    outputs.find((o) => o.name === 'output_probability') ??
    (outputs.length === 1 ? outputs[0] : undefined);
  const classes = dims(output)?.[1];
  if (classes === undefined)
    throw fail('its ONNX graph has no float [N, classes] probabilities output and its MLmodel no signature');
  return { inputWidth: width, classes };
}

interface Spec {
  readonly name?: string;
  readonly dtype: string;
  readonly shape: readonly number[];
}

function specs(value: YamlValue | undefined): Spec[] | undefined {
  if (typeof value !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const out: Spec[] = [];
  for (const item of parsed as unknown[]) {
    const entry = item as { type?: unknown; name?: unknown; 'tensor-spec'?: { dtype?: unknown; shape?: unknown } };
    const spec = entry['tensor-spec'];
    if (entry.type !== 'tensor' || spec === undefined || typeof spec.dtype !== 'string' || !Array.isArray(spec.shape))
      return undefined;
    const shape = (spec.shape as unknown[]).map((d) => (typeof d === 'number' ? d : Number.NaN));
    out.push({ ...(typeof entry.name === 'string' ? { name: entry.name } : {}), dtype: spec.dtype, shape });
  }
  return out;
}

function isFloat(dtype: string): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16';
}

function asMap(value: YamlValue | undefined): { readonly [key: string]: YamlValue } | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as { readonly [key: string]: YamlValue })
    : undefined;
}
