/**
 * `@dissonance/node` — the Node.js side of dissonance. For now: the package version and a config
 * file loader; the ONNX runtime, file registry/store and HTTP surface land in later releases.
 * @packageDocumentation
 */
export { VERSION } from './version.js';
export { loadConfigFile } from './config-file.js';
