/**
 * The module Web Worker of {@link workerTrainer}: answers each fit request with the candidate's ONNX bytes and
 * report, the buffers handed back (transferred), not copied. Load it as a module worker
 * (`new Worker(url, { type: 'module' })`).
 */
import { handleFitRequest, type FitRequest } from '@dissonance/core/mlp';

interface WorkerScope {
  onmessage: ((event: MessageEvent<FitRequest>) => void) | null;
  postMessage(message: unknown, transfer: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
scope.onmessage = (event) => {
  void handleFitRequest(event.data).then(({ response, transfer }) => scope.postMessage(response, transfer));
};
