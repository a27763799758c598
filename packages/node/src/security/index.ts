/**
 * Security helpers of `@dissonance/node`: the environment key provider, key files and production mode.
 * @packageDocumentation
 */
export { envKeyProvider, ENCRYPTION_KEYS_ENV } from './env-key-provider.js';
export {
  writeSigningKeyPair,
  readKeyFile,
  privateKeyExposed,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
  type KeyFiles,
} from './key-files.js';
export { securityFromEnv, isProductionMode, type SecuritySettings } from './production-mode.js';
