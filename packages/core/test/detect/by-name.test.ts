import { describe, expect, it } from 'vitest';
import {
  COMMITTEE_DETECTOR_NAMES,
  DETECTOR_NAMES,
  asCommittee,
  committeeDetectorByName,
  detectorByName,
  hellinger,
  voteEntropy,
} from '../../src/detect/index.js';
import { DissonanceError } from '../../src/errors.js';

function thrown(fn: () => unknown): DissonanceError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DissonanceError);
    return error as DissonanceError;
  }
  throw new Error('expected a DissonanceError');
}

describe('detectorByName', () => {
  it.each(DETECTOR_NAMES)('finds the pairwise detector %s under its own name', (name) => {
    const detector = detectorByName(name);
    expect(detector.name).toBe(name);
    expect(detector.kind).toBe('pairwise');
  });

  it('rejects an unknown name with E_CONFIG naming the known ones', () => {
    const error = thrown(() => detectorByName('kl'));
    expect(error.code).toBe('E_CONFIG');
    expect(error.message).toContain('"kl"');
    for (const name of DETECTOR_NAMES) expect(error.message).toContain(name);
    // Committee names are not pairwise detectors.
    expect(thrown(() => detectorByName('vote-entropy')).code).toBe('E_CONFIG');
  });
});

describe('committeeDetectorByName', () => {
  it.each([...COMMITTEE_DETECTOR_NAMES, ...DETECTOR_NAMES])(
    'finds %s under its own name as a committee detector',
    (name) => {
      const detector = committeeDetectorByName(name);
      expect(detector.name).toBe(name);
      expect(detector.kind).toBe('committee');
    },
  );

  it('applies a pairwise name to the proposer and each critic', () => {
    const members = [Float32Array.from([1, 0]), Float32Array.from([0, 1]), Float32Array.from([1, 0])];
    // total variation: proposer vs critic 1 = 1, vs critic 2 = 0 → 0.5.
    expect(committeeDetectorByName('total-variation').measure(members, 1, 2)[0]).toBe(0.5);
  });

  it('rejects an unknown name with E_CONFIG naming the known ones', () => {
    const error = thrown(() => committeeDetectorByName('mean-pairwise-kl'));
    expect(error.code).toBe('E_CONFIG');
    for (const name of [...COMMITTEE_DETECTOR_NAMES, ...DETECTOR_NAMES]) expect(error.message).toContain(name);
  });
});

describe('asCommittee', () => {
  it('keeps a committee detector as it is', () => {
    expect(asCommittee(voteEntropy)).toBe(voteEntropy);
  });

  it('wraps a pairwise detector as proposer vs critics', () => {
    const committee = asCommittee(hellinger);
    expect(committee.kind).toBe('committee');
    expect(committee.name).toBe('hellinger');
    const p = Float32Array.from([0.5, 0.5]);
    const q = Float32Array.from([0.9, 0.1]);
    expect(committee.measure([p, q], 1, 2)[0]).toBe(hellinger.measure(p, q, 1, 2)[0]);
  });
});
