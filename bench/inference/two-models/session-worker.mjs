// Worker side of bench/inference/two-models/index.ts: one onnxruntime-node session, woken by an Atomics doorbell,
// reading jobs with receiveMessageOnPort and answering on the same port. With `echo`, it answers at once (the
// round trip alone). onnxruntime-node refuses SharedArrayBuffer-backed tensors ("Invalid argument"), so a
// shared input is copied into a worker-local buffer first.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

const { bytes, options, bell, port, echo } = workerData;
const session = echo ? undefined : await ort.InferenceSession.create(bytes, options);
const doorbell = new Int32Array(bell); // [0]: jobs posted, [1]: answers posted
let local = new Float32Array(0);
let seen = 0;
parentPort.postMessage('ready');
for (;;) {
  Atomics.wait(doorbell, 0, seen);
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
    seen++;
    if (session === undefined) port.postMessage(m.message);
    else {
      let { x } = m.message;
      const { rows, width } = m.message;
      if (x.buffer instanceof SharedArrayBuffer) {
        if (local.length < x.length) local = new Float32Array(x.length);
        local.set(x);
        x = local.subarray(0, x.length);
      }
      const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [rows, width]) });
      const data = out[session.outputNames[0]].data;
      port.postMessage({ data }, [data.buffer]);
    }
    Atomics.add(doorbell, 1, 1);
    Atomics.notify(doorbell, 1);
  }
}
