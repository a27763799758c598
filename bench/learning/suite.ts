/** The data sets of the learning bench: three bundled with scikit-learn, three seeded synthetic ones. */
export interface SuiteSet {
  readonly name: string;
  readonly path: string;
  readonly what: string;
}

/** Every set of the suite, in table order. */
export const SUITE: readonly SuiteSet[] = [
  { name: 'digits', path: 'packages/cli/data/digits.csv', what: '1,797 × 64, 10 classes (scikit-learn)' },
  { name: 'breast_cancer', path: 'packages/cli/data/breast_cancer.csv', what: '569 × 30, 2 classes (scikit-learn)' },
  { name: 'wine', path: 'packages/cli/data/wine.csv', what: '178 × 13, 3 classes (scikit-learn)' },
  {
    name: 'clusters',
    path: 'bench/learning/data/clusters.csv',
    what: '2,400 × 16, 4 classes, 6 clusters per class (synthetic)',
  },
  {
    name: 'imbalanced',
    path: 'bench/learning/data/imbalanced.csv',
    what: '3,000 × 20, 3 classes at 85/10/5 % (synthetic)',
  },
  {
    name: 'nonlinear',
    path: 'bench/learning/data/nonlinear.csv',
    what: '2,400 × 10, 4 classes, XOR × ring boundary (synthetic)',
  },
];

/** The SDK strategies the bench runs (the default always runs first). */
export const BENCH_STRATEGIES: readonly string[] = ['random', 'uncertainty', 'margin', 'ceiling', 'dissonance', 'bald'];
