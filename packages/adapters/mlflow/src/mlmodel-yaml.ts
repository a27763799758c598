/** A value read by {@link readMlmodelYaml}: a scalar (as text, `null` for `null`/`~`/empty), a list, or a map. */
export type YamlValue = string | null | readonly YamlValue[] | { readonly [key: string]: YamlValue };

interface Line {
  readonly indent: number;
  readonly text: string;
}

/**
 * Reads the block-style YAML subset that MLflow writes for an `MLmodel` file (PyYAML `safe_dump`): nested maps,
 * `- item` lists of scalars or maps, plain, single-quoted and double-quoted scalars, including the long quoted
 * scalars PyYAML folds over several lines (the signature's JSON). Flow collections are kept as their text;
 * anchors, tags and block scalars (`|`, `>`) are not supported (MLflow writes none). Scalars are returned as
 * text; the caller converts what it needs. Throws a plain `Error` naming the line on text it cannot read.
 */
export function readMlmodelYaml(text: string): { readonly [key: string]: YamlValue } {
  const lines: Line[] = [];
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (raw.trim() === '' || raw.trimStart().startsWith('#') || raw === '---') continue;
    const indent = raw.length - raw.trimStart().length;
    lines.push({ indent, text: raw.trim() });
  }
  const state = { i: 0 };
  const value = block(lines, state, 0);
  if (state.i < lines.length) throw new Error(`MLmodel: unexpected indentation at "${lines[state.i]?.text ?? ''}"`);
  if (value === null || typeof value === 'string' || Array.isArray(value))
    throw new Error('MLmodel: the document is not a map');
  return value as { readonly [key: string]: YamlValue };
}

function block(lines: readonly Line[], state: { i: number }, indent: number): YamlValue {
  const first = lines[state.i];
  if (first === undefined || first.indent < indent) return null;
  if (first.text === '-' || first.text.startsWith('- ')) return list(lines, state, first.indent);
  return map(lines, state, first.indent);
}

function map(lines: readonly Line[], state: { i: number }, indent: number): { [key: string]: YamlValue } {
  const out: { [key: string]: YamlValue } = {};
  while (state.i < lines.length) {
    const line = lines[state.i];
    if (line === undefined || line.indent < indent) break;
    if (line.indent > indent) throw new Error(`MLmodel: unexpected indentation at "${line.text}"`);
    const colon = keyEnd(line.text);
    if (colon < 0) throw new Error(`MLmodel: expected "key: value" at "${line.text}"`);
    const key = unquote(line.text.slice(0, colon).trim());
    const rest = line.text.slice(colon + 1).trim();
    state.i++;
    if (rest === '') {
      const next = lines[state.i];
      // PyYAML writes a list under a key at the key's own indentation.
      const nested =
        next !== undefined &&
        (next.indent > indent || (next.indent === indent && (next.text === '-' || next.text.startsWith('- '))));
      Object.defineProperty(out, key, { value: nested ? block(lines, state, next.indent) : null, enumerable: true });
    } else {
      Object.defineProperty(out, key, { value: scalar(rest, lines, state, indent), enumerable: true });
    }
  }
  return out;
}

function list(lines: readonly Line[], state: { i: number }, indent: number): YamlValue[] {
  const out: YamlValue[] = [];
  while (state.i < lines.length) {
    const line = lines[state.i];
    if (line === undefined || line.indent !== indent || !(line.text === '-' || line.text.startsWith('- '))) break;
    const rest = line.text.slice(1).trim();
    if (rest === '') {
      state.i++;
      const next = lines[state.i];
      out.push(next !== undefined && next.indent > indent ? block(lines, state, next.indent) : null);
    } else if (keyEnd(rest) >= 0 && !/^['"[{]/.test(rest)) {
      // A map item: re-read the line as a map indented past the dash.
      const itemIndent = indent + (line.text.length - rest.length);
      const copy = [...lines];
      copy[state.i] = { indent: itemIndent, text: rest };
      out.push(map(copy, state, itemIndent));
    } else {
      state.i++;
      out.push(scalar(rest, lines, state, indent));
    }
  }
  return out;
}

/** Index of the `:` that ends a mapping key (followed by a space or the end of the line), or -1. */
function keyEnd(text: string): number {
  if (text.startsWith("'") || text.startsWith('"')) {
    const close = quotedEnd(text, 0);
    return close >= 0 && text[close + 1] === ':' && (close + 2 === text.length || text[close + 2] === ' ')
      ? close + 1
      : -1;
  }
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ':' && (i + 1 === text.length || text[i + 1] === ' ')) return i;
    if (text[i] === ' ' && text[i + 1] === '#') return -1;
  }
  return -1;
}

/** A scalar starting with `first`, continued on deeper-indented lines (PyYAML folds long scalars). */
function scalar(first: string, lines: readonly Line[], state: { i: number }, indent: number): YamlValue {
  let text = first;
  const quote = first[0] === "'" || first[0] === '"' ? first[0] : undefined;
  if (quote !== undefined) {
    while (quotedEnd(text, 0) < 0) {
      const next = lines[state.i];
      if (next === undefined) throw new Error(`MLmodel: unterminated quoted scalar "${first.slice(0, 40)}"`);
      text += ` ${next.text}`;
      state.i++;
    }
    return unquote(text);
  }
  while (state.i < lines.length) {
    const next = lines[state.i];
    if (next === undefined || next.indent <= indent) break;
    text += ` ${next.text}`;
    state.i++;
  }
  const plain = text.replace(/\s+#.*$/, '').trim();
  return plain === 'null' || plain === '~' || plain === '' ? null : plain;
}

/** Index of the closing quote of the quoted scalar opening at `start`, or -1. */
function quotedEnd(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') {
      i++;
      continue;
    }
    if (text[i] === quote) {
      if (quote === "'" && text[i + 1] === "'") {
        i++;
        continue;
      }
      return i;
    }
  }
  return -1;
}

function unquote(text: string): string {
  if (text.startsWith("'") && text.endsWith("'") && text.length >= 2) return text.slice(1, -1).replace(/''/g, "'");
  if (text.startsWith('"') && text.endsWith('"') && text.length >= 2) {
    try {
      return JSON.parse(text.replace(/\\\s/g, '')) as string;
    } catch {
      return text.slice(1, -1);
    }
  }
  return text;
}
