/**
 * `countersign audit head|verify|export`, `requests evidence ID --out FILE` and `evidence verify
 * FILE`: the auditor's side of the tamper-evident audit trail (docs/security.md). `audit verify`
 * reads the whole stream through the NDJSON export and checks every link here, on the auditor's
 * machine, with src/requests/audit-chain.ts; `evidence verify` needs no gateway at all.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { REQUEST_ID_PATTERN } from '../api/openapi';
import { ChainWalk, checkEvent, type ChainPoint } from '../requests/audit-chain';
import { checkEvidence, parseAnchor, type Anchor } from '../requests/evidence-check';
import type { CliIo } from './approval-commands';
import { callApi, CliError, ExitCode, refusal, type ClientOptions } from './gateway-client';
import { clean } from './format';

const USAGE = `usage:
  countersign audit head                      the chain head (seq:hash) and retention checkpoint (auditors)
  countersign audit verify [--anchor SEQ:HASH]…  walk the whole audit chain; name the first broken link (auditors)
  countersign audit export [--cursor C] [--limit N]  one page of the NDJSON export (auditors)
  countersign requests evidence ID --out FILE   one request's evidence file
  countersign evidence verify FILE [--anchor SEQ:HASH]…  check an evidence file offline

options: --token T, --url U (as for every command), --json
exit codes: 0 verified / ok, 1 refused by the gateway, 2 usage, 3 gateway unreachable or 5xx,
            5 the chain or the evidence does not verify
`;

/** An evidence file of a large body is larger than the client's usual answer limit. */
const EVIDENCE_ANSWER_BYTES = 256 * 1024 * 1024;
const ID_PATTERN = new RegExp(REQUEST_ID_PATTERN);

const common = {
  token: { type: 'string' },
  url: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  anchor: { type: 'string', multiple: true },
} as const satisfies ParseArgsConfig['options'];

function usageError(message: string): CliError {
  return new CliError(ExitCode.usage, `${message}\n\n${USAGE}`);
}

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, positionals: number) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...common, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw usageError(error instanceof Error ? error.message : String(error));
  }
  if (!(parsed.values as { help?: boolean }).help && parsed.positionals.length !== positionals) throw usageError(`expected ${positionals} argument${positionals === 1 ? '' : 's'}`);
  return parsed;
}

function client(values: { token?: string; url?: string }, env: CliIo['env']): ClientOptions {
  const token = values.token ?? env.COUNTERSIGN_TOKEN;
  if (!token) throw usageError('no token: pass --token or set COUNTERSIGN_TOKEN');
  const url = values.url ?? env.COUNTERSIGN_URL ?? 'http://localhost:8080';
  if (!/^https?:\/\//.test(url)) throw usageError(`--url must be an http(s) URL, got "${url}"`);
  return { url, token, prefix: env.COUNTERSIGN_API_PREFIX };
}

function anchors(values: { anchor?: string[] }): Anchor[] {
  return (values.anchor ?? []).map((text) => {
    const anchor = parseAnchor(text);
    if (!anchor) throw usageError(`--anchor must be SEQ:HASH (as countersign audit head prints it), got "${text}"`);
    return anchor;
  });
}

async function getJson(options: ClientOptions, path: string, maxBytes?: number): Promise<unknown> {
  const answer = await callApi({ ...options, ...(maxBytes ? { maxBytes } : {}) }, 'GET', path);
  if (answer.status < 200 || answer.status >= 300) throw refusal(answer);
  if (answer.json === undefined) throw new CliError(ExitCode.unavailable, `the gateway answered ${answer.status} without JSON`);
  return answer.json;
}

type Head = { head: ChainPoint | null; checkpoint: (ChainPoint & { trimmed: number; trimmedAt?: string }) | null };

async function headCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {}, 0);
  if (values.help) return help(io);
  const chain = (await getJson(client(values, io.env), '/audit/head')) as Head;
  if (values.json) io.stdout(`${JSON.stringify(chain, null, 2)}\n`);
  else {
    io.stdout(chain.head ? `head: ${chain.head.seq}:${clean(chain.head.hash)} (event ${clean(chain.head.id)} at ${clean(chain.head.at)})\n` : 'head: none (no event yet)\n');
    if (chain.checkpoint?.hash) io.stdout(`checkpoint: ${chain.checkpoint.seq}:${clean(chain.checkpoint.hash)} (${chain.checkpoint.trimmed} events trimmed, last at ${clean(chain.checkpoint.trimmedAt)})\n`);
  }
  return ExitCode.ok;
}

/** Reads the NDJSON export page by page and walks every link locally. */
async function verifyCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {}, 0);
  if (values.help) return help(io);
  const wanted = anchors(values);
  const options = client(values, io.env);
  const chain = (await getJson(options, '/audit/head')) as Head;
  const start = chain.checkpoint?.hash ? chain.checkpoint : null;
  const walk = new ChainWalk(start);
  const seen = new Map<number, string>();
  let cursor: string | undefined;
  for (;;) {
    const answer = await callApi(options, 'GET', `/audit?format=ndjson&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (answer.status !== 200) throw refusal(answer);
    const lines = answer.text.split('\n').filter((line) => line !== '');
    for (const line of lines) {
      const event = JSON.parse(line) as Record<string, unknown>;
      if (event.seq === undefined && event.prevHash === undefined && event.hash === undefined) {
        if (walk.last) walk.addEntry(String(event.id), []);
        else walk.legacy++;
        continue;
      }
      const decoded = checkEvent(event);
      if (decoded.kind !== 'chained') {
        walk.broken = { id: String(event.id), reason: `the event does not verify: ${decoded.kind === 'invalid' ? decoded.reason : ''}` };
        break;
      }
      walk.addEvent(decoded.event);
      if (walk.broken) break;
      seen.set(decoded.event.seq, decoded.event.hash);
    }
    const next = answer.headers.get('x-maa-cursor') ?? undefined;
    if (walk.broken || lines.length < 1000 || !next || next === cursor) break;
    cursor = next;
  }
  walk.finish(chain.head);
  const anchored = wanted.map((a) => ({ ...a, found: seen.get(a.seq) }));
  const anchorsOk = anchored.every((a) => a.found === a.hash);
  const ok = !walk.broken && anchorsOk;
  if (values.json) {
    io.stdout(`${JSON.stringify({ ok, events: walk.events, legacy: walk.legacy, from: start, head: chain.head, ...(walk.broken ? { broken: walk.broken } : {}), anchors: anchored }, null, 2)}\n`);
  } else if (walk.broken) {
    io.stdout(`BROKEN at ${clean(walk.broken.id)}${walk.broken.seq ? ` (seq ${walk.broken.seq})` : ''}: ${clean(walk.broken.reason)}\n${walk.events} events verified before it.\n`);
  } else {
    io.stdout(`ok: ${walk.events} events verified from ${start ? `the checkpoint at seq ${start.seq}` : 'the beginning'} to the head ${chain.head ? `${chain.head.seq}:${chain.head.hash}` : '(none)'}${walk.legacy ? `; ${walk.legacy} earlier events predate the chain` : ''}\n`);
  }
  if (!values.json) {
    for (const a of anchored) {
      io.stdout(a.found === a.hash ? `anchor ${a.seq}: matches\n` : a.found ? `anchor ${a.seq}: MISMATCH, the chain has ${a.found}: it was rewritten\n` : `anchor ${a.seq}: not in the stream (trimmed, or not reached)\n`);
    }
  }
  return ok ? ExitCode.ok : ExitCode.unverified;
}

async function exportCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { cursor: { type: 'string' }, limit: { type: 'string' } }, 0);
  if (values.help) return help(io);
  const query = new URLSearchParams({ format: 'ndjson', limit: values.limit ?? '1000' });
  if (values.cursor) query.set('cursor', values.cursor);
  const answer = await callApi(client(values, io.env), 'GET', `/audit?${query}`);
  if (answer.status !== 200) throw refusal(answer);
  io.stdout(answer.text);
  const next = answer.headers.get('x-maa-cursor');
  if (next) io.stderr(`next: --cursor ${clean(next)}\n`);
  return ExitCode.ok;
}

/** `requests evidence ID --out FILE`. */
export async function evidenceExportCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { out: { type: 'string' } }, 1);
  if (values.help) return help(io);
  const id = positionals[0] ?? '';
  if (!ID_PATTERN.test(id)) throw usageError(`"${id}" is not a request ID`);
  if (!values.out) throw usageError('requests evidence needs --out FILE');
  const evidence = (await getJson(client(values, io.env), `/requests/${encodeURIComponent(id)}/evidence`, EVIDENCE_ANSWER_BYTES)) as { chain: { end: ChainPoint; entries: unknown[] } };
  // Written only once the whole answer arrived: never a half file.
  writeFileSync(values.out, `${JSON.stringify(evidence, null, 2)}\n`, { mode: 0o600 });
  io.stdout(`wrote the evidence of request ${id} to ${values.out}: ${evidence.chain.entries.length} chain entries up to ${evidence.chain.end.seq}:${evidence.chain.end.hash}\n`);
  return ExitCode.ok;
}

/** `evidence verify FILE`: offline. */
async function evidenceVerifyCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {}, 1);
  if (values.help) return help(io);
  const wanted = anchors(values);
  let file: unknown;
  try {
    file = JSON.parse(readFileSync(positionals[0]!, 'utf8'));
  } catch (error) {
    throw usageError(`cannot read ${positionals[0]} as JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const report = checkEvidence(file, wanted);
  if (values.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else {
    for (const check of report.checks) io.stdout(`${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${clean(check.detail)}\n`);
    io.stdout(report.ok ? `verified: the evidence of request ${clean(report.requestId)}\n` : 'NOT VERIFIED\n');
  }
  return report.ok ? ExitCode.ok : ExitCode.unverified;
}

function help(io: CliIo): number {
  io.stdout(USAGE);
  return ExitCode.ok;
}

/**
 * Runs `audit …` or `evidence …` (the first argument); never throws, returns the exit code.
 * @example await run(['evidence', 'verify', 'evidence.json', '--anchor', '42:ab…']); // 0 or 5
 */
export async function run(args: string[], io: CliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), env: process.env }): Promise<number> {
  const [name, sub, ...rest] = args;
  try {
    if (name === 'audit' && sub === 'head') return await headCommand(rest, io);
    if (name === 'audit' && sub === 'verify') return await verifyCommand(rest, io);
    if (name === 'audit' && sub === 'export') return await exportCommand(rest, io);
    if (name === 'evidence' && sub === 'verify') return await evidenceVerifyCommand(rest, io);
    if (name === 'requests' && sub === 'evidence') return await evidenceExportCommand(rest, io);
    if (sub === '--help' || sub === '-h') return help(io);
    throw usageError(`unknown command "${[name, sub].filter(Boolean).join(' ')}"`);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(`countersign: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr(`countersign: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.unavailable;
  }
}
