import { DissonanceError } from '../errors.js';
import type { CommitteeDetector, Detector } from '../ports/detector.js';
import { absDiff } from './abs-diff.js';
import { consensusEntropy } from './consensus-entropy.js';
import { hellinger } from './hellinger.js';
import { jensenShannon } from './jensen-shannon.js';
import { meanPairwiseJs } from './mean-pairwise.js';
import { proposerVsCritics } from './proposer-vs-critics.js';
import { symmetricKl } from './symmetric-kl.js';
import { totalVariation } from './total-variation.js';
import { voteEntropy } from './vote-entropy.js';

/** Names of the built-in pairwise detectors, as used in config files, events and metrics. */
export const DETECTOR_NAMES = ['abs-diff', 'total-variation', 'jensen-shannon', 'symmetric-kl', 'hellinger'] as const;

/** One of {@link DETECTOR_NAMES}. */
export type DetectorName = (typeof DETECTOR_NAMES)[number];

/** Names of the built-in detectors that exist only for committees (see also {@link DETECTOR_NAMES}). */
export const COMMITTEE_DETECTOR_NAMES = ['mean-pairwise-js', 'vote-entropy', 'consensus-entropy'] as const;

/** A name {@link committeeDetectorByName} accepts: a committee name or a pairwise one. */
export type CommitteeDetectorName = (typeof COMMITTEE_DETECTOR_NAMES)[number] | DetectorName;

const PAIRWISE: Readonly<Record<DetectorName, Detector>> = {
  'abs-diff': absDiff,
  'total-variation': totalVariation,
  'jensen-shannon': jensenShannon,
  'symmetric-kl': symmetricKl,
  hellinger,
};

const COMMITTEE: Readonly<Record<(typeof COMMITTEE_DETECTOR_NAMES)[number], CommitteeDetector>> = {
  'mean-pairwise-js': meanPairwiseJs,
  'vote-entropy': voteEntropy,
  'consensus-entropy': consensusEntropy,
};

function isOneOf<T extends string>(names: readonly T[], name: string): name is T {
  return (names as readonly string[]).includes(name);
}

function unknown(kind: string, name: string, known: readonly string[]): DissonanceError {
  return new DissonanceError('E_CONFIG', `unknown ${kind} "${name}"; known: ${known.join(', ')}`, {
    details: { name, known },
  });
}

/**
 * The built-in pairwise detector called `name`.
 *
 * @throws DissonanceError `E_CONFIG` for an unknown name, listing the known ones.
 */
export function detectorByName(name: string): Detector {
  if (isOneOf(DETECTOR_NAMES, name)) return PAIRWISE[name];
  throw unknown('detector', name, DETECTOR_NAMES);
}

/**
 * The built-in committee detector called `name`. Pairwise names are accepted too and applied to the
 * proposer and each critic with {@link proposerVsCritics}, keeping their name.
 *
 * @throws DissonanceError `E_CONFIG` for an unknown name, listing the known ones.
 */
export function committeeDetectorByName(name: string): CommitteeDetector {
  if (isOneOf(COMMITTEE_DETECTOR_NAMES, name)) return COMMITTEE[name];
  if (isOneOf(DETECTOR_NAMES, name)) return proposerVsCritics(PAIRWISE[name]);
  throw unknown('committee detector', name, [...COMMITTEE_DETECTOR_NAMES, ...DETECTOR_NAMES]);
}

/**
 * Any detector as a committee detector: a committee detector as it is, a pairwise one through
 * {@link proposerVsCritics}. Tells them apart by their `kind`.
 */
export function asCommittee(detector: Detector | CommitteeDetector): CommitteeDetector {
  return detector.kind === 'committee' ? detector : proposerVsCritics(detector);
}
