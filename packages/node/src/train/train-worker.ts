/**
 * The `worker_threads` entry of {@link threadedTrainer}: answers each fit request posted by the pool with the
 * candidate's ONNX bytes and report (buffers handed back, not copied).
 */
import { parentPort } from 'node:worker_threads';
import { handleFitRequest, type FitRequest } from '@dissonance/core/mlp';

const port = parentPort;
if (port === null) throw new Error('train-worker.js runs as a worker thread of @dissonance/node');
port.on('message', (request: FitRequest) => {
  void handleFitRequest(request).then(({ response, transfer }) => port.postMessage(response, transfer));
});
