import { DissonanceError } from '../errors.js';

/** A labelled table parsed from CSV: `rows × features.length` float32 features and an integer class per row. */
export interface Dataset {
  /** Feature names, in column order (the header without the label column). */
  readonly features: readonly string[];
  /** Row-major features. */
  readonly x: Float32Array;
  readonly rows: number;
  /** Class index per row, in `[0, classes)`. */
  readonly labels: Int32Array;
  /** Number of classes: the largest label + 1. */
  readonly classes: number;
}

/** Options of {@link parseCsvDataset}. */
export interface ParseCsvOptions {
  /** Name of the label column (default `label`). */
  readonly labelColumn?: string;
  /** Name used in error messages (default `csv`). */
  readonly source?: string;
}

/**
 * Parses a numeric CSV with a header row of column names, one of which is the label column (default `label`,
 * non-negative integer class indexes). Empty lines are skipped; `\r\n` line ends are accepted. No quoting:
 * every field must be a plain finite number.
 *
 * @throws DissonanceError `E_INPUT` naming the source, the 1-based line and the column on a missing header,
 *   a missing label column, a wrong field count, a non-numeric or non-finite value, or a label that is not a
 *   non-negative integer; also when there are no data rows.
 */
export function parseCsvDataset(text: string, options: ParseCsvOptions = {}): Dataset {
  const labelColumn = options.labelColumn ?? 'label';
  const source = options.source ?? 'csv';
  const fail = (line: number, message: string): never => {
    throw new DissonanceError('E_INPUT', `${source}: line ${line}: ${message}`, { details: { source, line } });
  };
  const lines = text.split('\n');
  let headerLine = 0;
  while (headerLine < lines.length && lines[headerLine]!.trim() === '') headerLine++;
  if (headerLine === lines.length) fail(1, 'no header row');
  const header = splitLine(lines[headerLine]!);
  const labelAt = header.indexOf(labelColumn);
  if (labelAt < 0) fail(headerLine + 1, `no "${labelColumn}" column in the header`);
  const features = header.filter((_, i) => i !== labelAt);
  const values: number[] = [];
  const labels: number[] = [];
  for (let i = headerLine + 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    const fields = splitLine(raw);
    if (fields.length !== header.length) fail(i + 1, `expected ${header.length} fields, got ${fields.length}`);
    fields.forEach((field, c) => {
      const value = field.trim() === '' ? Number.NaN : Number(field);
      if (!Number.isFinite(value)) fail(i + 1, `column "${header[c]!}": not a finite number: ${JSON.stringify(field)}`);
      if (c === labelAt) {
        if (!Number.isSafeInteger(value) || value < 0)
          fail(i + 1, `label must be a non-negative integer, got ${field}`);
        labels.push(value);
      } else {
        values.push(value);
      }
    });
  }
  if (labels.length === 0) fail(headerLine + 2, 'no data rows');
  let classes = 0;
  for (const label of labels) classes = Math.max(classes, label + 1);
  return { features, x: Float32Array.from(values), rows: labels.length, labels: Int32Array.from(labels), classes };
}

function splitLine(line: string): string[] {
  return (line.endsWith('\r') ? line.slice(0, -1) : line).split(',');
}
