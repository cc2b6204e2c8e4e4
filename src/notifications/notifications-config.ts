/**
 * The notifications file (`notifications.file` in gateway.yaml, e.g. config/notifications.yaml):
 * delivery settings, the expiry warning, and the channels with their filters. Read and checked
 * once at start; every problem is one ConfigError naming file:line:column and the right form.
 *
 * Secrets never sit in this file, as with `upstream.auth`: a webhook's signing secret, a Slack or
 * Teams incoming-webhook URL (the URL is the credential) and the SMTP password are read from a
 * file (`…File`) or an environment variable named by `…Env`, at start, and are never logged.
 *
 * ```yaml
 * consoleUrl: https://countersign.example.com/maa/console
 * delivery: { maxAttempts: 8, backoff: 2s, maxBackoff: 10m, timeout: 10s }
 * expiryWarning: { before: 24h }
 * channels:
 *   - { name: siem, type: webhook, url: https://hooks.example.com/countersign, secretEnv: COUNTERSIGN_WEBHOOK_SECRET }
 *   - { name: approvers-slack, type: slack, urlFile: /run/secrets/slack-url, events: [created, expiring], profileTypes: [apps, scripts] }
 *   - { name: mail, type: email, from: countersign@example.com, smtp: { host: smtp.example.com, port: 587, user: countersign, passwordEnv: SMTP_PASSWORD } }
 * ```
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve, dirname } from 'node:path';
import ms from 'ms';
import { ConfigError } from '../config/config-error';
import { readYamlFile, type YamlFile } from '../config/yaml-file';
import { isNotificationEventName, NOTIFICATION_EVENTS, type NotificationEventName } from './events';

export type ChannelType = 'webhook' | 'slack' | 'teams' | 'email';
const CHANNEL_TYPES: readonly ChannelType[] = ['webhook', 'slack', 'teams', 'email'];

interface ChannelCommon {
  /** Unique; names the channel in metrics, logs, dead letters and the progress of each event. */
  name: string;
  /** Only these events; absent: every event. */
  events?: ReadonlySet<NotificationEventName>;
  /** Only requests of these profile types; absent: every profile type. */
  profileTypes?: ReadonlySet<string>;
}

export type ChannelConfig =
  | (ChannelCommon & { type: 'webhook'; url: string; /** Standard Webhooks secret, `whsec_<base64>`. */ secret: string })
  | (ChannelCommon & { type: 'slack' | 'teams'; /** The incoming-webhook URL: a secret. */ url: string })
  | (ChannelCommon & {
      type: 'email';
      from: string;
      smtp: { host: string; port: number; secure: boolean; user?: string; password?: string };
    });

export interface NotificationsConfig {
  /** Base of links to a request in the console, without a trailing slash; absent: messages carry no link. */
  consoleUrl?: string;
  delivery: {
    /** Tries per channel before the delivery goes to the dead-letter list. */
    maxAttempts: number;
    /** Wait before the first retry; doubled for each one after, up to maxBackoffMs. */
    backoffMs: number;
    maxBackoffMs: number;
    /** One delivery (an HTTP call, an SMTP session). */
    timeoutMs: number;
    /** How long the dispatcher waits for new events before it looks at retries again. */
    pollIntervalMs: number;
    /** An event a dispatcher took and left (it stopped or died) is taken over after this long. */
    claimIdleMs: number;
    /** Requests whose events are delivered at once (each request's events stay in order). */
    concurrency: number;
  };
  expiryWarning: { beforeMs: number; intervalMs: number };
  channels: ChannelConfig[];
}

export const NOTIFICATION_DEFAULTS: Omit<NotificationsConfig, 'channels'> = {
  delivery: { maxAttempts: 8, backoffMs: 2_000, maxBackoffMs: 10 * 60_000, timeoutMs: 10_000, pollIntervalMs: 500, claimIdleMs: 2 * 60_000, concurrency: 4 },
  expiryWarning: { beforeMs: 24 * 60 * 60_000, intervalMs: 60_000 },
};

const MAX_CHANNELS = 50;
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9.-]{1,253}$/;

/** Where secrets named by `…Env` are looked up; tests pass their own. */
export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads and checks the file; reads the secrets it names. Throws ConfigError listing every problem.
 * @example
 * const notifications = loadNotificationsConfig('/etc/countersign/notifications.yaml');
 * notifications.channels.map((c) => c.name); // ['siem', 'approvers-slack', 'mail']
 */
export function loadNotificationsConfig(path: string, options: LoadOptions = {}): NotificationsConfig {
  const file = readYamlFile(path);
  const env = options.env ?? process.env;
  const issues: string[] = [];
  const check = new Checker(file, issues, dirname(file.path), env);
  const root = check.mapping([], ['consoleUrl', 'delivery', 'expiryWarning', 'channels'], 'channels: [{ name: siem, type: webhook, url: https://…, secretEnv: WEBHOOK_SECRET }]');
  const d = NOTIFICATION_DEFAULTS;
  const delivery = check.mapping(['delivery'], ['maxAttempts', 'backoff', 'maxBackoff', 'timeout', 'pollInterval', 'claimIdle', 'concurrency'], 'delivery: { maxAttempts: 8, backoff: 2s }', true);
  const warning = check.mapping(['expiryWarning'], ['before', 'interval'], 'expiryWarning: { before: 24h }', true);
  const config: NotificationsConfig = {
    delivery: {
      maxAttempts: check.int(['delivery', 'maxAttempts'], delivery?.maxAttempts, d.delivery.maxAttempts, 1, 100),
      backoffMs: check.duration(['delivery', 'backoff'], delivery?.backoff, d.delivery.backoffMs, 1, 60 * 60_000),
      maxBackoffMs: check.duration(['delivery', 'maxBackoff'], delivery?.maxBackoff, d.delivery.maxBackoffMs, 1, 24 * 60 * 60_000),
      timeoutMs: check.duration(['delivery', 'timeout'], delivery?.timeout, d.delivery.timeoutMs, 100, 5 * 60_000),
      pollIntervalMs: check.duration(['delivery', 'pollInterval'], delivery?.pollInterval, d.delivery.pollIntervalMs, 10, 60_000),
      claimIdleMs: check.duration(['delivery', 'claimIdle'], delivery?.claimIdle, d.delivery.claimIdleMs, 100, 24 * 60 * 60_000),
      concurrency: check.int(['delivery', 'concurrency'], delivery?.concurrency, d.delivery.concurrency, 1, 64),
    },
    expiryWarning: {
      beforeMs: check.duration(['expiryWarning', 'before'], warning?.before, d.expiryWarning.beforeMs, 60_000, 30 * 24 * 60 * 60_000),
      intervalMs: check.duration(['expiryWarning', 'interval'], warning?.interval, d.expiryWarning.intervalMs, 10, 60 * 60_000),
    },
    channels: [],
  };
  if (root?.consoleUrl !== undefined) {
    const url = check.url(['consoleUrl'], root.consoleUrl, 'https://countersign.example.com/maa/console');
    if (url) config.consoleUrl = url.replace(/\/+$/, '');
  }
  if (config.delivery.timeoutMs >= config.delivery.claimIdleMs) {
    // A delivery still running when another dispatcher may take its event over would be sent twice.
    issues.push(`${file.where(['delivery', 'claimIdle'])}: delivery.claimIdle must be longer than delivery.timeout (${config.delivery.timeoutMs} ms)`);
  }
  const channels = root?.channels;
  if (!Array.isArray(channels)) {
    issues.push(`${file.where(['channels'])}: expected a list of channels; for example channels: [{ name: siem, type: webhook, url: https://hooks.example.com/x, secretEnv: WEBHOOK_SECRET }]`);
  } else {
    if (channels.length > MAX_CHANNELS) issues.push(`${file.where(['channels'])}: at most ${MAX_CHANNELS} channels`);
    const names = new Set<string>();
    channels.slice(0, MAX_CHANNELS).forEach((_, i) => {
      const channel = check.channel(i);
      if (!channel) return;
      if (names.has(channel.name)) issues.push(`${file.where(['channels', i, 'name'])}: channel name ${channel.name} is used twice; names must be unique`);
      names.add(channel.name);
      config.channels.push(channel);
    });
  }
  if (issues.length > 0) throw new ConfigError('CONFIG_INVALID', issues);
  return config;
}

type Path = (string | number)[];

/** The checks, each pushing an issue that names where and shows the right form. */
class Checker {
  constructor(
    private readonly file: YamlFile,
    private readonly issues: string[],
    private readonly base: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  private at(path: Path): string {
    return this.file.where(path);
  }

  private valueAt(path: Path): unknown {
    let value: unknown = this.file.value;
    for (const key of path) value = value && typeof value === 'object' ? (value as Record<string | number, unknown>)[key] : undefined;
    return value;
  }

  mapping(path: Path, keys: string[], example: string, optional = false): Record<string, unknown> | undefined {
    const value = this.valueAt(path);
    if (value === undefined && optional) return undefined;
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      this.issues.push(`${this.at(path)}: expected a mapping; for example ${example}`);
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (!keys.includes(key)) this.issues.push(`${this.at([...path, key])}: unknown key ${key}; known keys: ${keys.join(', ')}`);
    }
    return value as Record<string, unknown>;
  }

  int(path: Path, value: unknown, fallback: number, min: number, max: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.issues.push(`${this.at(path)}: must be a whole number from ${min} to ${max}, for example ${fallback}`);
      return fallback;
    }
    return value;
  }

  duration(path: Path, value: unknown, fallback: number, min: number, max: number): number {
    if (value === undefined) return fallback;
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.length <= 100 ? (ms(value.trim() as ms.StringValue) ?? NaN) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.issues.push(`${this.at(path)}: must be a duration from ${min} to ${max} ms (milliseconds, or a number with ms, s, m, h or d), for example ${ms(fallback)}`);
      return fallback;
    }
    return n;
  }

  /** https, or http on loopback only (a test receiver); never a #fragment. */
  url(path: Path, value: unknown, example: string, quiet = false): string | undefined {
    const shown = quiet ? '' : ` (${JSON.stringify(value)})`;
    if (typeof value !== 'string' || value.length > 2048) {
      this.issues.push(`${this.at(path)}: must be a URL of at most 2048 characters, for example ${example}`);
      return undefined;
    }
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      this.issues.push(`${this.at(path)}: is not a URL${shown}; for example ${example}`);
      return undefined;
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
      this.issues.push(`${this.at(path)}: must use https (http only on loopback)${shown}`);
      return undefined;
    }
    if (url.hash || url.username || url.password) {
      this.issues.push(`${this.at(path)}: must have no #fragment and no user or password in it`);
      return undefined;
    }
    return value;
  }

  /** Exactly one of `<key>File` and `<key>Env`; returns the secret's text, trimmed. Never quotes it. */
  secret(path: Path, entry: Record<string, unknown>, key: string, example: string): string | undefined {
    const fileKey = `${key}File`;
    const envKey = `${key}Env`;
    const given = [fileKey, envKey].filter((k) => entry[k] !== undefined);
    if (given.length !== 1) {
      this.issues.push(`${this.at(path)}: needs exactly one of ${fileKey} (a file only the gateway can read) and ${envKey} (the name of an environment variable); for example ${envKey}: ${example}`);
      return undefined;
    }
    if (entry[fileKey] !== undefined) {
      const value = entry[fileKey];
      if (typeof value !== 'string' || value.length === 0 || value.length > 4096 || value.includes('\0')) {
        this.issues.push(`${this.at([...path, fileKey])}: must be a file path`);
        return undefined;
      }
      const file = isAbsolute(value) ? value : resolve(this.base, value);
      try {
        const text = readFileSync(file, 'utf8').trim();
        if (text.length === 0 || text.length > 4096) throw new Error('empty or longer than 4096 characters');
        return text;
      } catch (error) {
        this.issues.push(`${this.at([...path, fileKey])}: ${file} cannot be used: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
        return undefined;
      }
    }
    const name = entry[envKey];
    if (typeof name !== 'string' || !ENV_NAME.test(name)) {
      this.issues.push(`${this.at([...path, envKey])}: must be the name of an environment variable, for example ${example}`);
      return undefined;
    }
    const text = this.env[name]?.trim();
    if (!text || text.length > 4096) {
      this.issues.push(`${this.at([...path, envKey])}: the environment variable ${name} is not set (or empty, or longer than 4096 characters)`);
      return undefined;
    }
    return text;
  }

  channel(i: number): ChannelConfig | undefined {
    const path: Path = ['channels', i];
    const common = ['name', 'type', 'events', 'profileTypes'];
    const raw = this.valueAt(path);
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      this.issues.push(`${this.at(path)}: each channel is a mapping; for example { name: siem, type: webhook, url: https://hooks.example.com/x, secretEnv: WEBHOOK_SECRET }`);
      return undefined;
    }
    const entry = raw as Record<string, unknown>;
    const type = entry.type as ChannelType;
    if (!CHANNEL_TYPES.includes(type)) {
      this.issues.push(`${this.at([...path, 'type'])}: type must be one of ${CHANNEL_TYPES.join(', ')}`);
      return undefined;
    }
    const name = entry.name;
    if (typeof name !== 'string' || !NAME.test(name)) this.issues.push(`${this.at([...path, 'name'])}: name must be lower-case letters, digits and dashes (at most 63), for example approvers-slack`);
    const filters: Pick<ChannelCommon, 'events' | 'profileTypes'> = {};
    if (entry.events !== undefined) {
      const list = entry.events;
      const bad = Array.isArray(list) ? list.filter((e) => !isNotificationEventName(e)) : [list];
      if (!Array.isArray(list) || list.length === 0 || bad.length > 0) {
        this.issues.push(`${this.at([...path, 'events'])}: events must be a list of ${NOTIFICATION_EVENTS.join(', ')}${bad.length > 0 ? `; unknown: ${bad.map((b) => JSON.stringify(b)).join(', ')}` : ''}`);
      } else filters.events = new Set(list as NotificationEventName[]);
    }
    if (entry.profileTypes !== undefined) {
      const list = entry.profileTypes;
      if (!Array.isArray(list) || list.length === 0 || list.length > 100 || !list.every((p) => typeof p === 'string' && p.length > 0 && p.length <= 128)) {
        this.issues.push(`${this.at([...path, 'profileTypes'])}: profileTypes must be a list of profile type names, for example [apps, scripts]`);
      } else filters.profileTypes = new Set(list as string[]);
    }
    const base = { name: String(name), ...filters };
    switch (type) {
      case 'webhook': {
        this.mapping(path, [...common, 'url', 'secretFile', 'secretEnv'], '');
        const url = this.url([...path, 'url'], entry.url, 'https://hooks.example.com/countersign');
        const secret = this.secret(path, entry, 'secret', 'COUNTERSIGN_WEBHOOK_SECRET');
        if (secret !== undefined && !/^(whsec_)?[A-Za-z0-9+/]{32,}={0,2}$/.test(secret)) {
          this.issues.push(`${this.at(path)}: the webhook secret must be base64 of at least 24 random bytes, optionally prefixed whsec_ (Standard Webhooks); for example whsec_$(openssl rand -base64 32)`);
          return undefined;
        }
        return url && secret ? { ...base, type, url, secret } : undefined;
      }
      case 'slack':
      case 'teams': {
        this.mapping(path, [...common, 'urlFile', 'urlEnv'], '');
        if (entry.url !== undefined) {
          this.issues.push(`${this.at([...path, 'url'])}: an incoming-webhook URL is a secret: give it in urlFile or urlEnv, not in the YAML`);
          return undefined;
        }
        const secretUrl = this.secret(path, entry, 'url', type === 'slack' ? 'SLACK_WEBHOOK_URL' : 'TEAMS_WEBHOOK_URL');
        if (secretUrl === undefined) return undefined;
        const before = this.issues.length;
        const url = this.url([...path, entry.urlFile !== undefined ? 'urlFile' : 'urlEnv'], secretUrl, 'https://hooks.slack.com/services/…', true);
        // The URL's own problems are reported without it (it is the secret).
        if (this.issues.length > before) return undefined;
        return url ? { ...base, type, url } : undefined;
      }
      case 'email': {
        this.mapping(path, [...common, 'from', 'smtp'], '');
        const smtp = this.mapping([...path, 'smtp'], ['host', 'port', 'secure', 'user', 'passwordFile', 'passwordEnv'], 'smtp: { host: smtp.example.com, port: 587, user: countersign, passwordEnv: SMTP_PASSWORD }');
        const from = entry.from;
        if (typeof from !== 'string' || from.length > 254 || !EMAIL.test(from)) {
          this.issues.push(`${this.at([...path, 'from'])}: from must be one plain address, for example countersign@example.com`);
        }
        if (!smtp) return undefined;
        const host = smtp.host;
        if (typeof host !== 'string' || !/^[A-Za-z0-9.:[\]-]{1,253}$/.test(host)) this.issues.push(`${this.at([...path, 'smtp', 'host'])}: host must be a host name or address, for example smtp.example.com`);
        const port = this.int([...path, 'smtp', 'port'], smtp.port, 587, 1, 65535);
        if (smtp.secure !== undefined && typeof smtp.secure !== 'boolean') this.issues.push(`${this.at([...path, 'smtp', 'secure'])}: secure must be true (TLS from the start, port 465) or false (STARTTLS when offered)`);
        const user = smtp.user;
        if (user !== undefined && (typeof user !== 'string' || user.length === 0 || user.length > 256)) this.issues.push(`${this.at([...path, 'smtp', 'user'])}: user must be a string`);
        let password: string | undefined;
        if (user !== undefined) password = this.secret([...path, 'smtp'], smtp, 'password', 'SMTP_PASSWORD');
        else if (smtp.passwordFile !== undefined || smtp.passwordEnv !== undefined) this.issues.push(`${this.at([...path, 'smtp'])}: a password needs smtp.user`);
        if (typeof from !== 'string' || typeof host !== 'string') return undefined;
        return {
          ...base,
          type,
          from,
          smtp: { host, port, secure: smtp.secure === true, ...(typeof user === 'string' ? { user } : {}), ...(password !== undefined ? { password } : {}) },
        };
      }
    }
  }
}
