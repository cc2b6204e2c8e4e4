/**
 * Reads a YAML file so that later checks can point at the line and column of any value:
 * syntax errors become ConfigError CONFIG_YAML_INVALID naming file:line:column, and `where(path)`
 * turns a key path into the same kind of location for validation messages.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { ConfigError } from './config-error';

/** Larger configuration files are refused: they are hand-written and small. */
export const MAX_YAML_BYTES = 1024 * 1024;

export interface YamlFile {
  /** The file as given (absolute). */
  path: string;
  /** The parsed value (plain JS), `undefined` for an empty file. */
  value: unknown;
  /** `file:line:column` of the value at a key path, or of the file when the path is not in it. */
  where(path: readonly (string | number)[]): string;
}

/**
 * A path as an error names it: absolute, so "tokens.yaml does not exist" says which file was
 * looked for whatever the working directory (and a config folder outside the project is unambiguous).
 */
export function errorPath(file: string): string {
  return resolve(file);
}

/** A path shown relative to the working directory when that is shorter: for banners and hints, not errors. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && rel.length < file.length ? rel : file;
}

/**
 * Parses a YAML file, refusing duplicate keys, aliases beyond a small budget and files over 1 MiB.
 * @example
 * const file = readYamlFile('/srv/countersign/config/gateway.yaml');
 * file.where(['listen', 'port']); // 'config/gateway.yaml:3:9'
 */
export function readYamlFile(path: string): YamlFile {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_YAML_BYTES) {
      throw new ConfigError('CONFIG_INVALID', [`${errorPath(path)}: larger than ${MAX_YAML_BYTES} bytes`]);
    }
    text = bytes.toString('utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError('CONFIG_FILE_UNREADABLE', [`${errorPath(path)}: ${(error as NodeJS.ErrnoException).code ?? 'cannot be read'}`]);
  }
  return parseYamlText(text, path);
}

/** Same as readYamlFile, for text already in memory (`path` is only used in messages). */
export function parseYamlText(text: string, path: string): YamlFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  const shown = errorPath(path);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      'CONFIG_YAML_INVALID',
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        // Only the first line of the message: the rest quotes the file, which may hold secrets.
        const message = firstLine(e.message).replace(/ at line \d+, column \d+:?$/, '');
        return `${shown}:${pos ? `${pos.line}:${pos.col}` : '1:1'}: ${message}`;
      }),
    );
  }
  let value: unknown;
  try {
    // maxAliasCount bounds "billion laughs" expansion.
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError('CONFIG_YAML_INVALID', [`${shown}: ${firstLine((error as Error).message)}`]);
  }
  return { path, value: value ?? undefined, where: (keyPath) => locate(doc, lineCounter, shown, keyPath) };
}

function locate(doc: Document, lines: LineCounter, shown: string, keyPath: readonly (string | number)[]): string {
  // Walk up until a node exists: a missing key is reported at its parent.
  for (let n = keyPath.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(keyPath.slice(0, n), true);
    if (isNode(node) && node.range) {
      const { line, col } = lines.linePos(node.range[0]);
      return `${shown}:${line}:${col}`;
    }
  }
  return shown;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
