import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOnnxArtifact } from '../../src/adapter-kit/index.js';
import { expectCode } from '../../src/testing/index.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const PYTHON = join(ROOT, '.venv', 'bin', 'python');

/** Writes `<dir>/<name>.onnx`: an Add graph whose initializer `w` is stored externally at `location`. */
const SCRIPT = `
import sys
from onnx import helper, TensorProto
out, name, location = sys.argv[1:4]
w = helper.make_tensor('w', TensorProto.FLOAT, [2], [1.0, 2.0])
if location != '-':
    del w.float_data[:]
    w.data_location = TensorProto.EXTERNAL
    entry = w.external_data.add()
    entry.key = 'location'
    entry.value = location
x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [2])
y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [2])
graph = helper.make_graph([helper.make_node('Add', ['x', 'w'], ['y'])], 'g', [x], [y], [w])
with open(f'{out}/{name}.onnx', 'wb') as f:
    f.write(helper.make_model(graph).SerializeToString())
`;

describe('checkOnnxArtifact on models written by the onnx Python package', () => {
  let dir = '';
  const model = (name: string, location: string): Uint8Array => {
    execFileSync(PYTHON, ['-c', SCRIPT, dir, name, location], { stdio: ['ignore', 'pipe', 'pipe'] });
    return new Uint8Array(readFileSync(join(dir, `${name}.onnx`)));
  };

  beforeAll(() => {
    if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run scripts/python-env.sh`);
    dir = mkdtempSync(join(tmpdir(), 'dissonance-onnx-external-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts inline weights and external data inside the model folder', () => {
    expect(() => checkOnnxArtifact(model('inline', '-'))).not.toThrow();
    expect(() => checkOnnxArtifact(model('inside', 'weights/w.bin'))).not.toThrow();
  });

  it.each([['../../etc/passwd'], ['/etc/passwd'], ['weights/../../w.bin']])(
    'refuses external data at %s',
    async (location) => {
      const error = await expectCode(() => checkOnnxArtifact(model('outside', location)), 'E_MODEL');
      expect((error as Error & { details: { reason?: unknown } }).details.reason).toBe('external-data');
    },
  );
});
