import { expect, it } from 'vitest';
import type { Delivery, SubscribeOptions, Transport } from '../ports/transport.js';
import { groupName, item, topicName } from './transport-names.js';

/** A transport's factory and the options it must refuse before it connects. */
export interface InvalidTransportOptions {
  /** The factory, e.g. `(options) => createRedisTransport(options as RedisTransportOptions)`. */
  readonly create: (options: unknown) => Promise<Transport>;
  /**
   * Options the factory must reject with `E_INPUT` or `E_CONFIG` whose `details.field` is `field` (besides a
   * non-object, which every factory refuses as `options`).
   */
  readonly cases: readonly { readonly options: unknown; readonly field: string }[];
}

const handler = (): Promise<void> => Promise.resolve();

/** Subscribe options every transport refuses with `E_INPUT`, and the field the error names. */
function badSubscribeOptions(topic: string): readonly { readonly options: unknown; readonly field: string }[] {
  return [
    { options: null, field: 'options' },
    { options: { group: '' }, field: 'group' },
    { options: {}, field: 'group' },
    { options: { group: 'g', prefetch: 0 }, field: 'prefetch' },
    { options: { group: 'g', prefetch: 1.5 }, field: 'prefetch' },
    { options: { group: 'g', prefetch: Number.NaN }, field: 'prefetch' },
    { options: { group: 'g', maxAttempts: 0 }, field: 'maxAttempts' },
    { options: { group: 'g', maxAttempts: 1.5 }, field: 'maxAttempts' },
    { options: { group: 'g', deadLetterTopic: '' }, field: 'deadLetterTopic' },
    { options: { group: 'g', deadLetterTopic: topic }, field: 'deadLetterTopic' },
  ];
}

async function expectField(
  work: Promise<unknown>,
  field: string,
  codes: readonly string[] = ['E_INPUT'],
): Promise<void> {
  let caught: unknown;
  try {
    await work;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a rejection naming ${field}`).toBeInstanceOf(Error);
  expect(codes, String(caught)).toContain((caught as { code?: unknown }).code);
  expect((caught as { details?: { field?: unknown } }).details?.field, String(caught)).toBe(field);
}

/** The subscribe and publish argument checks of the transport contract (registered inside its `describe`). */
export function subscribeOptionCases(transport: () => Transport): void {
  it('refuses bad subscribe options, topics and handlers with E_INPUT naming the field', async () => {
    const topic = topicName();
    for (const { options, field } of badSubscribeOptions(topic)) {
      await expectField(transport().subscribe(topic, handler, options as SubscribeOptions), field);
    }
    await expectField(transport().subscribe('', handler, { group: groupName() }), 'topic');
    const notAFunction = 'handler' as unknown as (delivery: Delivery) => Promise<void>;
    await expectField(transport().subscribe(topic, notAFunction, { group: groupName() }), 'handler');
    await expectField(transport().publish('', item(1)), 'topic');
    // Still usable: the refused calls left nothing behind.
    await expect(transport().ping()).resolves.toBeUndefined();
  });
}

/** The factory option checks of the transport contract (registered inside its `describe`). */
export function invalidOptionCases(invalid: InvalidTransportOptions): void {
  it('refuses bad options before connecting, with E_INPUT or E_CONFIG naming the field', async () => {
    for (const options of [42, 'options', null])
      await expectField(invalid.create(options), 'options', ['E_INPUT', 'E_CONFIG']);
    for (const { options, field } of invalid.cases)
      await expectField(invalid.create(options), field, ['E_INPUT', 'E_CONFIG']);
  });
}
