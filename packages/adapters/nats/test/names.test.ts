import { expectCode } from '@dissonance/core/testing';
import { describe, expect, it } from 'vitest';
import { checkName, durableNameOf, encodeName, streamNameOf, subjectOf } from '../src/names.js';
import { resolveOptions, resolveSubscribeOptions } from '../src/options.js';

describe('NATS names', () => {
  it('maps topics and groups to subjects, streams and durables without collisions', () => {
    expect(subjectOf('dissonance', 'batches.in')).toBe('dissonance.batches.in');
    expect(streamNameOf('dissonance', 'batches.in')).toBe('dissonance_batches_din');
    expect(encodeName('a_.b')).not.toBe(encodeName('a._b'));
    expect(encodeName('a_b')).not.toBe(encodeName('a.b'));
    expect(durableNameOf('group-1')).toBe('group-1');
  });

  it('rejects names that are not literal subjects with E_INPUT', async () => {
    for (const bad of ['', 'a..b', 'a.*', 'a.>', 'a b', '.a', 'x'.repeat(201), 42]) {
      await expectCode(
        Promise.resolve().then(() => checkName(bad, 'topic')),
        'E_INPUT',
      );
    }
  });

  // Bad options: the transport contract (nats-transport.integration.test.ts) checks them with the factory.
  it('applies defaults, and NATS names to subscribe options', async () => {
    expect(resolveOptions({})).toMatchObject({
      servers: '127.0.0.1:4222',
      prefix: 'dissonance',
      streamPrefix: 'dissonance',
    });
    expect(resolveSubscribeOptions('t', { group: 'g' })).toEqual({
      group: 'g',
      prefetch: 16,
      maxAttempts: 5,
      deadLetterTopic: 't.dlq',
    });
    await expectCode(
      Promise.resolve().then(() => resolveSubscribeOptions('t', { group: 'a b' })),
      'E_INPUT',
    );
  });
});
