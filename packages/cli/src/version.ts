import { version } from '../package.json';

/** The version of `@dissonance/cli`, read from its package.json at build time. */
export const VERSION: string = version;
