/**
 * Lists the YAML files of one configuration folder (one definition per file), sorted so that
 * loading is deterministic and error messages come in a stable order.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config-error';
import { errorPath } from './yaml-file';

/** More files than this in one folder is a mistake, not a configuration. */
export const MAX_FILES_PER_FOLDER = 500;

/** Absolute paths of `*.yaml` / `*.yml` files directly in `dir`; the folder must exist. */
export function listYamlFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new ConfigError('CONFIG_FILE_UNREADABLE', [`${errorPath(dir)}: ${(error as NodeJS.ErrnoException).code ?? 'cannot be read'}`]);
  }
  const files = names.filter((n) => /\.ya?ml$/.test(n) && !n.startsWith('.')).sort();
  if (files.length > MAX_FILES_PER_FOLDER) {
    throw new ConfigError('CONFIG_INVALID', [`${errorPath(dir)}: more than ${MAX_FILES_PER_FOLDER} YAML files`]);
  }
  return files.map((n) => join(dir, n));
}
