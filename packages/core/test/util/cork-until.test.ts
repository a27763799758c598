import { describe, expect, it } from 'vitest';
import { corkUntil } from '../../src/adapter-kit/index.js';

/** A stand-in with a socket's cork/uncork, counting the calls. */
function corkable(): { cork(): void; uncork(): void; calls: string[] } {
  const calls: string[] = [];
  return { calls, cork: () => void calls.push('cork'), uncork: () => void calls.push('uncork') };
}

describe('corkUntil', () => {
  it('corks once until the release calls back, then uncorks, and can cork again afterwards', () => {
    const stream = corkable();
    const releases: Array<() => void> = [];
    corkUntil(stream, (uncork) => releases.push(uncork));
    corkUntil(stream, (uncork) => releases.push(uncork)); // already held: left as it is
    expect(stream.calls).toEqual(['cork']);
    expect(releases).toHaveLength(1);
    releases[0]!();
    expect(stream.calls).toEqual(['cork', 'uncork']);
    corkUntil(stream, (uncork) => uncork());
    expect(stream.calls).toEqual(['cork', 'uncork', 'cork', 'uncork']);
  });

  it('ignores what cannot be corked', () => {
    let asked = 0;
    for (const stream of [undefined, null, 42, 'socket', {}, { cork: () => undefined }]) {
      expect(() => corkUntil(stream, () => void asked++)).not.toThrow();
    }
    expect(asked).toBe(0);
  });
});
