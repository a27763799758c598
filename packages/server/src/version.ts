import { version } from '../package.json';

/** The version of `@dissonance/server`, read from its package.json at build time. */
export const VERSION: string = version;
