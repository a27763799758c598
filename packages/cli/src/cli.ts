// Entry of the `dissonance` bin (the shebang is added by tsup's banner).
import { runCliAsync } from './run-cli.js';

void runCliAsync(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTty: process.stderr.isTTY,
}).then((code) => {
  process.exitCode = code;
});
