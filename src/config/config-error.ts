/**
 * The one error a bad configuration produces at start. Its `code` is fixed and documented in
 * docs/configuration.md, and each issue names where the value came from (file:line:column, or the
 * environment variable) and shows an example of the right form.
 */

export type ConfigErrorCode =
  /** A configuration file that was named explicitly does not exist or cannot be read. */
  | 'CONFIG_FILE_UNREADABLE'
  /** A YAML file is not well-formed YAML. */
  | 'CONFIG_YAML_INVALID'
  /** A value is missing, of the wrong type, out of range or unknown. */
  | 'CONFIG_INVALID';

export class ConfigError extends Error {
  constructor(
    readonly code: ConfigErrorCode,
    /** One line per problem, each starting with where the value came from. */
    readonly issues: string[],
  ) {
    super(`${code}: ${issues.length === 1 ? issues[0] : `\n  - ${issues.join('\n  - ')}`}`);
    this.name = 'ConfigError';
  }
}
