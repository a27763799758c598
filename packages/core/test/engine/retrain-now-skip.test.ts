import { describe, expect, it } from 'vitest';
import { createEngine, type LogFields, type Logger } from '../../src/index.js';
import { GOOD_WEIGHTS, linearModel, linearTrainer, WEAK_WEIGHTS } from './fixtures.js';

function recording(): Logger & { infos: { fields: LogFields; message: string | undefined }[] } {
  const infos: { fields: LogFields; message: string | undefined }[] = [];
  const none = (): void => undefined;
  return {
    infos,
    debug: none,
    warn: none,
    error: none,
    info: (fields, message) => void infos.push({ fields, message }),
  };
}

describe('retrainNow() that does not retrain says why', () => {
  it('without a trainer, and with fewer examples than retrain.minExamples', async () => {
    const logger = recording();
    const engine = createEngine({
      proposer: linearModel('p', WEAK_WEIGHTS),
      critics: [linearModel('q', GOOD_WEIGHTS)],
      logger,
    });
    // Automatic triggers stay silent: feedback that would start a retrain every item logs nothing.
    await engine.feedback([{ id: 'f1', features: [1, 0], label: 1 }], { who: 'alice', retrainEvery: 1 });
    await engine.settled();
    expect(logger.infos).toEqual([]);
    await engine.retrainNow();
    expect(logger.infos).toEqual([
      {
        fields: { event: 'retrain.skipped', reason: 'no trainer configured' },
        message: 'retrainNow: no trainer configured',
      },
    ]);
    await engine.stop();

    const withTrainer = recording();
    const trained = createEngine({
      proposer: linearModel('p', WEAK_WEIGHTS),
      critics: [linearModel('q', GOOD_WEIGHTS)],
      trainer: linearTrainer(),
      retrain: { minExamples: 5 },
      logger: withTrainer,
    });
    await trained.retrainNow();
    expect(trained.counters.retrains).toBe(0);
    expect(withTrainer.infos.map((i) => i.message)).toEqual([
      'retrainNow: 0 examples, fewer than retrain.minExamples (5)',
    ]);
    await trained.stop();
  });
});
