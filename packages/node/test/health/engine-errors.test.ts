import { EventEmitter } from 'node:events';
import { DissonanceError } from '@dissonance/core';
import { describe, expect, it } from 'vitest';
import { EngineErrors, type EngineEventSource } from '../../src/health/engine-errors.js';

describe('EngineErrors: the engine’s error events in the log and in readiness', () => {
  it('logs every error; only loop stages fail readiness, until the stage works again', () => {
    // The engine's event interface (on/off/emit); events are emitted directly so each stage can be reached.
    const engine = new EventEmitter();
    const logged: unknown[] = [];
    const errors = new EngineErrors(engine as unknown as EngineEventSource, (e) => logged.push(e));
    const failure = (code: 'E_TRAINER' | 'E_MODEL' | 'E_ARTIFACT_SIGNATURE', message: string): DissonanceError => new DissonanceError(code, message);

    // One batch failing is answered to its caller: logged, but a client cannot take the server out of rotation.
    engine.emit('error', { stage: 'generate', error: failure('E_MODEL', 'batch b1 failed'), batchId: 'b1' });
    expect(logged).toHaveLength(1);
    expect(errors.failingParts()).toEqual([]);

    engine.emit('error', { stage: 'retrain', error: failure('E_TRAINER', 'non-finite loss') });
    engine.emit('error', { stage: 'refresh', error: failure('E_ARTIFACT_SIGNATURE', 'toy version 9 is not signed') });
    expect(errors.failingParts()).toEqual([
      { name: 'loop.retrain', error: 'E_TRAINER: non-finite loss' },
      { name: 'loop.refresh', error: 'E_ARTIFACT_SIGNATURE: toy version 9 is not signed' },
    ]);

    engine.emit('retrained', {});
    expect(errors.failingParts().map((p) => p.name)).toEqual(['loop.refresh']);

    expect(logged).toHaveLength(3);
    errors.close();
    for (const name of ['error', 'proposed', 'dissonance', 'retrained', 'promoted', 'rolledBack']) expect(engine.listenerCount(name), name).toBe(0);
  });
});
