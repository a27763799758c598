import { version } from '../package.json';

/** The version of `@dissonance/browser`, read from its package.json at build time. */
export const VERSION: string = version;
