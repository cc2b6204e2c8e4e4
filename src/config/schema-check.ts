/**
 * Checks a parsed YAML file against a JSON Schema (ajv) and turns every violation into a
 * `file:line:column: what is wrong` line of one ConfigError, so nothing half-valid is ever used.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ConfigError } from './config-error';
import type { YamlFile } from './yaml-file';

const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: true, verbose: true });

/** Compiles a schema once; the result checks files and applies the schema's defaults in place. */
export function compileSchema<T>(schema: object): (file: YamlFile) => T {
  const validate: ValidateFunction = ajv.compile(schema);
  return (file) => {
    if (!validate(file.value)) {
      throw new ConfigError('CONFIG_INVALID', (validate.errors ?? []).map((e) => describe(file, e)));
    }
    return file.value as T;
  };
}

function describe(file: YamlFile, error: ErrorObject): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => decodePointer(part))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  const field = path.length > 0 ? path.join('.') : '(file)';
  let message = `${field} ${error.message ?? 'is invalid'}`;
  if (error.keyword === 'additionalProperties') {
    const extra = String((error.params as { additionalProperty: string }).additionalProperty);
    return `${file.where([...path, extra])}: unknown field "${extra}"${path.length ? ` in ${field}` : ''}`;
  }
  // A regular expression helps nobody: a schema's `description` says the expected form instead.
  const hint = (error.parentSchema as { description?: string } | undefined)?.description;
  if (error.keyword === 'pattern' && hint) message = `${field} must be ${hint}`;
  if (error.keyword === 'enum') {
    message += `: ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${file.where(path)}: ${message}`;
}

function decodePointer(part: string): string {
  return part.replace(/~1/g, '/').replace(/~0/g, '~');
}
