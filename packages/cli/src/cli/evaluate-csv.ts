import type { Dataset } from '@dissonance/core/mlp';

/** Largest CSV `dissonance evaluate` reads (bytes): 256 MiB. */
export const MAX_CSV_BYTES = 256 * 1024 * 1024;
/** Most distinct values a string column may have under `--categorical one-hot`. */
export const MAX_CATEGORIES = 32;
/** Fewest rows per class the split needs (golden 20 %, seed set 5 %: one seed-set row per class). */
export const MIN_ROWS_PER_CLASS = 10;

/** How to read the CSV. */
export interface CsvReadOptions {
  /** The label column (integer classes). */
  readonly label: string;
  /** An id column (not a feature; its values must be unique). */
  readonly id?: string;
  /** Columns to leave out. */
  readonly drop?: readonly string[];
  /** `mean`: replace empty, NaN and ±Inf cells of a feature column with the column's mean. */
  readonly impute?: 'mean';
  /** `one-hot`: expand string feature columns (at most {@link MAX_CATEGORIES} values each). */
  readonly categorical?: 'one-hot';
  /** Name in messages (the path). */
  readonly source?: string;
}

/** A CSV read for evaluation: the data set, the original class values and the item ids. */
export interface CsvData extends Dataset {
  /** The label value of each class index (sorted ascending). */
  readonly classValues: readonly number[];
  /** Item id per row (`--id` column, else `row-<n>`). */
  readonly ids: readonly string[];
}

/** A bad input: one line naming the problem and where. */
export class CsvInputError extends Error {
  override readonly name = 'CsvInputError';
}

/**
 * Splits CSV text into rows of fields: `,` separated, `"` quoting with `""` escapes, `\n` or `\r\n` line ends;
 * blank lines skipped. Each row keeps its 1-based line number.
 */
export function splitCsv(text: string, source: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let any = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field === '') {
      quoted = true;
      any = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
      any = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      if (any || field.trim() !== '') rows.push({ line: rowLine, fields });
      fields = [];
      field = '';
      any = false;
      line++;
      rowLine = line;
    } else {
      field += ch;
      if (ch.trim() !== '') any = true;
    }
  }
  if (quoted) throw new CsvInputError(`${source}: line ${rowLine}: unterminated quoted field`);
  fields.push(field);
  if (any || field.trim() !== '') rows.push({ line: rowLine, fields });
  return rows;
}

/**
 * Reads a CSV with a header row for evaluation, refusing with a {@link CsvInputError} (one line: the problem,
 * the line and the column) an empty file, a file over {@link MAX_CSV_BYTES}, duplicate header names, a
 * missing label column, a non-numeric or non-integer label, a single class, fewer rows than the split needs,
 * NaN/Inf/empty cells (unless `impute: 'mean'`), a string feature column (unless `categorical: 'one-hot'`,
 * at most {@link MAX_CATEGORIES} values), a row with the wrong number of fields, a duplicate id.
 */
export function readEvaluationCsv(text: string, options: CsvReadOptions): CsvData {
  const source = options.source ?? 'csv';
  const fail = (message: string): never => {
    throw new CsvInputError(`${source}: ${message}`);
  };
  if (Buffer.byteLength(text, 'utf8') > MAX_CSV_BYTES)
    fail(`file is over the ${MAX_CSV_BYTES / 1024 / 1024} MiB limit`);
  if (text.trim() === '') fail('empty file');
  const rows = splitCsv(text.replace(/^\uFEFF/, ''), source);
  const header = rows[0]!.fields.map((h) => h.trim());
  const seen = new Map<string, number>();
  header.forEach((name, c) => {
    if (name === '') fail(`line ${rows[0]!.line}: column ${c + 1} has an empty header name`);
    const first = seen.get(name);
    if (first !== undefined)
      fail(`line ${rows[0]!.line}: duplicate header name "${name}" (columns ${first + 1} and ${c + 1})`);
    seen.set(name, c);
  });
  const labelAt = header.indexOf(options.label);
  if (labelAt < 0)
    fail(
      `no label column "${options.label}" in the header (columns: ${header.slice(0, 8).join(', ')}${header.length > 8 ? ', …' : ''})`,
    );
  const idAt = options.id === undefined ? -1 : header.indexOf(options.id);
  if (options.id !== undefined && idAt < 0) fail(`no id column "${options.id}" in the header`);
  for (const d of options.drop ?? []) {
    if (!header.includes(d)) fail(`--drop: no column "${d}" in the header`);
    if (d === options.label || d === options.id)
      fail(`--drop: "${d}" is the ${d === options.label ? 'label' : 'id'} column, which is never a feature`);
  }
  const data = rows.slice(1);
  if (data.length === 0) fail('no data rows after the header');
  for (const r of data) {
    if (r.fields.length !== header.length)
      fail(`line ${r.line}: expected ${header.length} fields, got ${r.fields.length}`);
  }
  // Labels: integers, mapped to class indexes in ascending order of value.
  const rawLabels = data.map((r) => {
    const cell = r.fields[labelAt]!.trim();
    const v = cell === '' ? Number.NaN : Number(cell);
    if (!Number.isFinite(v))
      fail(`line ${r.line}, column "${options.label}": label ${JSON.stringify(cell)} is not numeric`);
    if (!Number.isSafeInteger(v)) fail(`line ${r.line}, column "${options.label}": label ${cell} is not an integer`);
    return v;
  });
  const classValues = [...new Set(rawLabels)].sort((a, b) => a - b);
  if (classValues.length < 2)
    fail(`column "${options.label}": a single class (${classValues[0]}); at least two are needed`);
  const labels = Int32Array.from(rawLabels, (v) => classValues.indexOf(v));
  const counts = classValues.map((_, k) => labels.filter((l) => l === k).length);
  const smallest = counts.indexOf(Math.min(...counts));
  if (counts[smallest]! < MIN_ROWS_PER_CLASS) {
    fail(
      `column "${options.label}": class ${classValues[smallest]} has ${counts[smallest]} rows; the split (golden 20 %, seed set 5 %) needs at least ${MIN_ROWS_PER_CLASS} per class`,
    );
  }
  const ids = idAt < 0 ? data.map((_, r) => `row-${r}`) : data.map((r) => r.fields[idAt]!.trim());
  if (idAt >= 0) {
    const idSeen = new Set<string>();
    data.forEach((r, i) => {
      if (idSeen.has(ids[i]!)) fail(`line ${r.line}, column "${options.id!}": duplicate id ${JSON.stringify(ids[i])}`);
      idSeen.add(ids[i]!);
    });
  }
  // Feature columns.
  const drop = new Set(options.drop ?? []);
  const featureAt = header.map((_, c) => c).filter((c) => c !== labelAt && c !== idAt && !drop.has(header[c]!));
  if (featureAt.length === 0) fail('no feature columns left');
  const columns: { names: string[]; values: Float64Array[] }[] = featureAt.map((c) =>
    readColumn(data, c, header[c]!, options, fail),
  );
  const features = columns.flatMap((col) => col.names);
  const width = features.length;
  const x = new Float32Array(data.length * width);
  let offset = 0;
  for (const col of columns) {
    for (const values of col.values) {
      for (let r = 0; r < data.length; r++) x[r * width + offset] = values[r]!;
      offset++;
    }
  }
  return { features, x, rows: data.length, labels, classes: classValues.length, classValues, ids };
}

function readColumn(
  data: readonly { line: number; fields: string[] }[],
  c: number,
  name: string,
  options: CsvReadOptions,
  fail: (message: string) => never,
): { names: string[]; values: Float64Array[] } {
  const cells = data.map((r) => r.fields[c]!.trim());
  const numbers = new Float64Array(cells.length);
  let firstString = -1;
  cells.forEach((cell, r) => {
    const lower = cell.toLowerCase();
    const missing =
      cell === '' ||
      lower === 'nan' ||
      lower === 'inf' ||
      lower === '+inf' ||
      lower === '-inf' ||
      lower === 'infinity' ||
      lower === '-infinity';
    const v = missing ? Number.NaN : Number(cell);
    if (!missing && Number.isNaN(v) && firstString < 0) firstString = r;
    numbers[r] = v;
  });
  if (firstString >= 0) {
    if (options.categorical !== 'one-hot') {
      fail(
        `line ${data[firstString]!.line}, column "${name}": ${JSON.stringify(cells[firstString])} is not a number (a string column: drop it with --drop or pass --categorical one-hot)`,
      );
    }
    const categories = [...new Set(cells)].sort();
    if (categories.length > MAX_CATEGORIES)
      fail(`column "${name}": ${categories.length} distinct values, over the one-hot cap of ${MAX_CATEGORIES}`);
    return {
      names: categories.map((k) => `${name}=${k}`),
      values: categories.map((k) => Float64Array.from(cells, (cell) => (cell === k ? 1 : 0))),
    };
  }
  let sum = 0;
  let count = 0;
  for (let r = 0; r < numbers.length; r++) {
    const v = numbers[r]!;
    if (Number.isFinite(v)) {
      sum += v;
      count++;
    } else if (options.impute !== 'mean') {
      fail(
        `line ${data[r]!.line}, column "${name}": ${cells[r] === '' ? 'empty cell' : `${JSON.stringify(cells[r])} is not finite`} (pass --impute mean to fill missing values)`,
      );
    }
  }
  if (count === 0) fail(`column "${name}": no finite value to impute from`);
  const mean = sum / count;
  for (let r = 0; r < numbers.length; r++) if (!Number.isFinite(numbers[r]!)) numbers[r] = mean;
  return { names: [name], values: [numbers] };
}
