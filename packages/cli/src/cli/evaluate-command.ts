import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { isDissonanceError } from '@dissonance/core';
import { OnnxNodeRuntime } from '@dissonance/node';
import { evaluationOf } from '../demo/evaluation.js';
import { summaryText } from '../demo/format-tables.js';
import { renderReport } from '../demo/render-report.js';
import { runDemo } from '../demo/run-demo.js';
import { parseEvaluateArgs, EVALUATE_HELP } from './evaluate-args.js';
import { CsvInputError, MAX_CSV_BYTES, readEvaluationCsv, type CsvReadOptions } from './evaluate-csv.js';
import { evaluationTable } from './evaluate-table.js';
import { commandErrorLine, seedWorkerOptions } from '../demo/seed-worker-options.js';

/** Where the command writes, and whether stderr is a terminal (for the progress bar). */
export interface EvaluateIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly isTty?: boolean;
}

/**
 * Runs `dissonance evaluate`: reads and checks the CSV (bad input: exit 2, one line on stderr naming the
 * problem and the line or column, nothing written), runs the protocol, then prints the tables — or the
 * {@link Evaluation} as JSON with `--json` — and with `--report DIR` writes the HTML report and the JSON.
 * A progress bar goes to stderr on a terminal only. Resolves to the exit code.
 */
export async function runEvaluateCommand(argv: readonly string[], io: EvaluateIo): Promise<number> {
  const parsed = parseEvaluateArgs(argv);
  const bad = (message: string): number => {
    io.err(`dissonance evaluate: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return 2;
  };
  if (typeof parsed === 'string') return bad(parsed);
  if (parsed.help) {
    io.out(EVALUATE_HELP);
    return 0;
  }
  if (parsed.report !== undefined && existsSync(parsed.report) && !statSync(parsed.report).isDirectory())
    return bad(`--report ${parsed.report}: exists and is not a directory`);
  const path = resolve(parsed.data);
  if (!existsSync(path) || !statSync(path).isFile()) return bad(`${parsed.data}: no such file`);
  if (statSync(path).size > MAX_CSV_BYTES)
    return bad(`${parsed.data}: file is over the ${MAX_CSV_BYTES / 1024 / 1024} MiB limit`);
  const options: CsvReadOptions = {
    label: parsed.label,
    source: parsed.data,
    ...(parsed.id === undefined ? {} : { id: parsed.id }),
    ...(parsed.drop === undefined ? {} : { drop: parsed.drop }),
    ...(parsed.impute === undefined ? {} : { impute: parsed.impute }),
    ...(parsed.categorical === undefined ? {} : { categorical: parsed.categorical }),
  };
  let proposer: Uint8Array | undefined;
  let data;
  try {
    data = readEvaluationCsv(readFileSync(path, 'utf8'), options);
    if (parsed.proposer !== undefined) {
      if (!existsSync(parsed.proposer)) return bad(`--proposer ${parsed.proposer}: no such file`);
      proposer = new Uint8Array(readFileSync(parsed.proposer));
    }
  } catch (error) {
    if (error instanceof CsvInputError) return bad(error.message);
    throw error;
  }
  if (proposer !== undefined) {
    const problem = await proposerProblem(proposer, data.features.length, data.classes);
    if (problem !== undefined) return bad(`--proposer ${parsed.proposer}: ${problem}`);
  }
  const onProgress = (done: number, total: number, what: string): void => {
    if (io.isTty !== true) return;
    const width = 30;
    const filled = Math.round((done / total) * width);
    io.err(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round((done / total) * 100)).padStart(3)}% ${what.padEnd(28)}`,
    );
    if (done === total) io.err('\n');
  };
  try {
    const result = await runDemo({
      dataset: basename(parsed.data, extname(parsed.data)),
      data,
      csv: { path, options },
      ...(parsed.budget === undefined ? {} : { budget: parsed.budget }),
      ...(parsed.seeds === undefined ? {} : { seeds: parsed.seeds }),
      ...(parsed.strategies === undefined ? {} : { strategies: parsed.strategies }),
      ...(parsed.dir === undefined ? {} : { dir: parsed.dir }),
      ...(proposer === undefined ? {} : { proposer }),
      onProgress,
      ...seedWorkerOptions(),
    });
    const evaluation = evaluationOf(result);
    // The results first: a report that cannot be written then loses nothing the run measured.
    io.out(
      parsed.json
        ? `${JSON.stringify(evaluation, null, 2)}\n`
        : `${summaryText(result, 'evaluate')}\nagainst random (paired per seed; "significant" = over 2 standard errors):\n${evaluationTable(evaluation)}`,
    );
    if (parsed.report !== undefined) {
      mkdirSync(parsed.report, { recursive: true });
      writeFileSync(join(parsed.report, 'report.html'), renderReport(result));
      writeFileSync(join(parsed.report, 'result.json'), `${JSON.stringify(evaluation, null, 2)}\n`);
      if (io.isTty === true) io.err(`evaluate: wrote ${join(parsed.report, 'report.html')} and result.json\n`);
    }
    return 0;
  } catch (error) {
    io.err(commandErrorLine('evaluate', error));
    return 1;
  }
}

/**
 * Why the ONNX bytes cannot be the first proposer for `width` features and `classes` classes (loaded as the run
 * would load them), or undefined when they can.
 */
async function proposerProblem(bytes: Uint8Array, width: number, classes: number): Promise<string | undefined> {
  const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu', intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const model = await runtime.loadBytes(bytes, { name: 'proposer', version: 'check', inputWidth: width, classes });
    await model.dispose?.();
    return undefined;
  } catch (error) {
    if (!isDissonanceError(error)) throw error;
    return error.message.replace(/^E_[A-Z_]+: /, '');
  }
}
