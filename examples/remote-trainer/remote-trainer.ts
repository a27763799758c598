/**
 * `npm run example:remote-trainer -- --via http --model cnn|sklearn [--seeds N] [--json]`: digits under the
 * demo's protocol with the proposer retrained by a Python worker through `remoteTrainer`, beside the built-in
 * MLP at equal labels. Exit 0 on success, 2 on bad arguments, 1 when a run fails.
 */
import { DissonanceError } from '@dissonance/core';
import { EXAMPLE_HELP, parseExampleArgs } from './example-args.js';
import { exampleJson, exampleText } from './example-output.js';
import { runExample } from './run-example.js';

async function main(argv: readonly string[]): Promise<number> {
  const args = parseExampleArgs(argv);
  if (typeof args === 'string') {
    process.stderr.write(`example:remote-trainer: ${args}\n${EXAMPLE_HELP}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(EXAMPLE_HELP);
    return 0;
  }
  try {
    const result = await runExample({
      via: args.via,
      model: args.model,
      seeds: Array.from({ length: args.seeds }, (_, i) => i + 1),
      ...(args.streamRows === undefined ? {} : { streamRows: args.streamRows }),
      onProgress: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(args.json ? `${JSON.stringify(exampleJson(result), null, 2)}\n` : exampleText(result));
    return 0;
  } catch (error) {
    const code = error instanceof DissonanceError ? error.code : undefined;
    // A DissonanceError's message starts with its code.
    process.stderr.write(`example:remote-trainer: ${error instanceof Error ? error.message : String(error)}\n`);
    return code === 'E_CONFIG' ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
