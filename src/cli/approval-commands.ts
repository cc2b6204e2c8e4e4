/**
 * `countersign requests list|show|diff`, `approve`, `reject`, `cancel`, `complete` (now, by break-glass or
 * at a time), `unschedule`, `review`, `break-glass list`: the requestor's and
 * the approver's side of the approval API (docs/api.md), for people (tables) and scripts (--json
 * and exit codes, docs/cli.md). The first argument is the command name main.ts dispatched on.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { REQUEST_ID_PATTERN } from '../api/openapi';
import { isRequestStatus, REQUEST_STATUSES } from '../requests/statuses';
import type { ApprovalRequest } from '../requests/types';
import { callApi, CliError, ExitCode, refusal, type ClientOptions, type GatewayAnswer } from './gateway-client';
import { clean, cleanLines, fields, table, truncate } from './format';
import { evidenceExportCommand } from './audit-commands';
import type { ChangeDiff } from '../gateway/change-diff';

/** What the API adds to a stored request (docs/api.md, "The request resource"). */
type RequestView = ApprovalRequest & {
  allowedActions?: Record<string, { allow: boolean; reasons: string[]; resendConfirmRequired?: boolean }>;
  bodyPreview?: { encoding: 'utf8' | 'base64'; text: string; truncated: boolean };
  stage?: string | null;
  stages?: { name: string; approverGroups: string[]; requiredApprovals: number; remainingApprovals: number; state: string }[];
  expiresAt?: string;
};

/** Where output goes; tests pass their own. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

/** docs/api.md: notes are at most 1,000 characters. */
const NOTES_MAX = 1000;
/** The API's own request-id pattern: an id it would answer 404 for is a usage error, and never lands in a URL path. */
const ID_PATTERN = new RegExp(REQUEST_ID_PATTERN);

const common = {
  token: { type: 'string' },
  url: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

const USAGE = `usage:
  countersign requests list [--mine|--received|--all] [--status S] [--limit N] [--cursor C]
  countersign requests show ID
  countersign requests evidence ID --out FILE
  countersign requests diff ID
  countersign approve ID [--notes TEXT]
  countersign reject ID --notes TEXT
  countersign cancel ID
  countersign complete ID [--confirm-resend | --break-glass REASON | --at TIME]
  countersign unschedule ID
  countersign review ID --notes TEXT
  countersign break-glass list [--reviewed] [--limit N]

options for every command:
  --token T   bearer token (default: $COUNTERSIGN_TOKEN)
  --url U     gateway URL (default: $COUNTERSIGN_URL, else http://localhost:8080)
  --json      machine-readable output on stdout
exit codes: 0 ok, 1 refused by the gateway, 2 usage, 3 gateway unreachable or 5xx,
            4 complete reached the upstream and it refused the change
`;

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
  if (!(parsed.values as { help?: boolean }).help && parsed.positionals.length !== positionals) {
    throw usageError(positionals === 0 ? `unexpected argument "${parsed.positionals[0]}"` : 'expected one request ID');
  }
  return parsed;
}

function client(values: { token?: string; url?: string }, env: CliIo['env']): ClientOptions {
  const token = values.token ?? env.COUNTERSIGN_TOKEN;
  if (!token) throw usageError('no token: pass --token or set COUNTERSIGN_TOKEN');
  const url = values.url ?? env.COUNTERSIGN_URL ?? 'http://localhost:8080';
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw usageError(`--url must be an http(s) URL, got "${url}"`);
  }
  return { url, token, prefix: env.COUNTERSIGN_API_PREFIX };
}

function requestId(value: string | undefined): string {
  if (!value || !ID_PATTERN.test(value)) throw usageError(`"${value ?? ''}" is not a request ID`);
  return value;
}

/** A value on one line, for a diff: JSON, cut at 200 characters. */
function valueText(value: unknown): string {
  return truncate(clean(JSON.stringify(value) ?? 'undefined'), 200);
}

/**
 * The diff resource as text: what was read of the object, then one line per changed field
 * (`~` changed, `+` added, `-` removed), a decoded script as its line diff, an assign's targets.
 * Everything in it came from other people or the upstream, so every line is cleaned.
 */
export function diffText(diff: ChangeDiff): string {
  const s = diff.snapshot;
  const read =
    s.state === 'captured'
      ? `captured ${clean(s.at ?? '')}${s.etag ? `, ETag ${clean(s.etag)}` : ''}, ${s.bytes ?? 0} bytes`
      : `${s.state}${s.error ? `: ${clean(s.error)}` : ''}`;
  const out = [fields([['request', diff.requestId], ['operation', diff.operation], ['call', `${diff.method} ${diff.path}`], ['snapshot', read]]).trimEnd(), ''];
  if (diff.assignments) {
    for (const target of diff.assignments.added) out.push(`+ target ${valueText(target)}`);
    for (const target of diff.assignments.removed) out.push(`- target ${valueText(target)}`);
    if (diff.assignments.added.length + diff.assignments.removed.length === 0) out.push('no targets added or removed');
  }
  for (const change of diff.changes) {
    const path = clean(change.path);
    if (change.text) {
      out.push(`${change.kind === 'added' ? '+' : change.kind === 'removed' ? '-' : '~'} ${path} (base64, decoded):`);
      for (const line of change.text.lines) out.push(`    ${line.op} ${clean(line.text)}`);
    } else if (change.kind === 'changed') out.push(`~ ${path}: ${valueText(change.before)} -> ${valueText(change.after)}`);
    else if (change.kind === 'added') out.push(`+ ${path}: ${valueText(change.after)}`);
    else out.push(`- ${path}: ${valueText(change.before)}`);
  }
  if (!diff.assignments && diff.changes.length === 0) out.push('no changes');
  if (diff.truncated) out.push('… (more changes not shown; --json has the first 2,000)');
  return `${out.join('\n')}\n`;
}

function approvalsCell(request: RequestView): string {
  return `${request.approvals?.length ?? 0}/${request.decision?.requiredApprovals ?? '?'}`;
}

function listTable(items: RequestView[]): string {
  if (items.length === 0) return 'no requests\n';
  return table(
    ['ID', 'STATUS', 'PROFILE', 'OPERATION', 'REQUESTOR', 'APPROVALS', 'UPDATED', 'CALL'],
    items.map((r) => [
      r.id,
      r.status,
      r.decision?.profileType ?? '',
      r.decision?.operation ?? '',
      r.requestor?.userId ?? '',
      approvalsCell(r),
      r.updatedAt ?? '',
      truncate(`${r.call?.method ?? ''} ${r.call?.path ?? ''}`, 60),
    ]),
  );
}

function showText(r: RequestView): string {
  let out = fields([
    ['id', r.id],
    ['status', r.status],
    ['requestor', `${r.requestor?.userId} (${(r.requestor?.groups ?? []).join(', ')})`],
    ['justification', r.justification],
    ['call', `${r.call?.method} ${r.call?.path}${r.call?.query ? `?${r.call.query}` : ''}`],
    ['body', r.call ? `${r.call.bodySize} bytes, sha256 ${r.call.bodySha256}` : undefined],
    ['profile type', r.decision?.profileType],
    ['operation', r.decision?.operation],
    ['object', r.decision?.objectKey],
    ['policies', r.decision?.policies?.join(', ')],
    ['policy revision', r.decision?.policyRevision],
    ['approvers', `${r.decision?.approverGroups?.join(', ')} (${approvalsCell(r)} approvals)`],
    ['stage', r.stages ? `${r.stage ?? '(none waiting)'}: ${r.stages.map((st) => `${st.name} ${st.requiredApprovals - st.remainingApprovals}/${st.requiredApprovals} (${st.state})`).join(', then ')}` : undefined],
    ['created', r.createdAt],
    ['updated', r.updatedAt],
    ['expires', r.expiresAt],
    ['rejected', r.rejection ? `by ${r.rejection.userId} at ${r.rejection.at}: ${r.rejection.notes}` : undefined],
    ['canceled', r.cancellation ? `by ${r.cancellation.userId} at ${r.cancellation.at}` : undefined],
    ['break-glass', r.breakGlass ? `by ${r.breakGlass.userId} at ${r.breakGlass.at}: ${r.breakGlass.reason}` : undefined],
    ['reviewed', r.breakGlass ? (r.review ? `by ${r.review.userId} at ${r.review.at}: ${r.review.notes}` : 'not yet: waiting for an approver\'s review') : undefined],
    ['scheduled for', r.scheduledFor],
    [
      'completion',
      r.completion
        ? `by ${r.completion.userId} at ${r.completion.at}: upstream ${r.completion.upstreamStatus}${r.completion.reason ? ` (${r.completion.reason})` : ''}`
        : undefined,
    ],
  ]);
  if (r.approvals?.length) {
    const staged = Boolean(r.stages);
    out += staged
      ? '\napprovals:\n' + table(['BY', 'STAGE', 'AT', 'NOTES'], r.approvals.map((a) => [a.userId, a.stage ?? '', a.at, a.notes]))
      : '\napprovals:\n' + table(['BY', 'AT', 'NOTES'], r.approvals.map((a) => [a.userId, a.at, a.notes]));
  }
  if (r.allowedActions) {
    out +=
      '\nwhat you may do now:\n' +
      table(
        ['ACTION', 'ALLOWED', 'WHY NOT'],
        Object.entries(r.allowedActions).map(([action, verdict]) => [
          action,
          verdict.allow ? 'yes' : 'no',
          verdict.reasons.join('; ') + (verdict.resendConfirmRequired ? `; to send it again: countersign complete ${r.id} --confirm-resend` : ''),
        ]),
      );
  }
  if (r.bodyPreview) {
    const note = r.bodyPreview.encoding === 'base64' ? ' (base64)' : '';
    const cut = r.bodyPreview.truncated ? '\n… (truncated)' : '';
    out += `\nbody${note}:\n${cleanLines(r.bodyPreview.text)}${cut}\n`;
  }
  if (r.history?.length) {
    out += '\nhistory:\n' + table(['AT', 'ACTOR', 'ACTION', 'FROM', 'TO'], r.history.map((h) => [h.at, h.actor, h.action, h.from ?? '-', h.to]));
  }
  return out;
}

function writeJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

async function expectOk(answer: GatewayAnswer): Promise<unknown> {
  if (answer.status < 200 || answer.status >= 300) throw refusal(answer);
  if (answer.json === undefined) throw new CliError(ExitCode.unavailable, `the gateway answered ${answer.status} without JSON`);
  return answer.json;
}

async function requestsCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.stdout(USAGE);
    return sub === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (sub === 'list') {
    const { values } = parse(
      rest,
      {
        mine: { type: 'boolean', default: false },
        received: { type: 'boolean', default: false },
        all: { type: 'boolean', default: false },
        status: { type: 'string' },
        limit: { type: 'string' },
        cursor: { type: 'string' },
      },
      0,
    );
    if (values.help) return help(io);
    const views = (['mine', 'received', 'all'] as const).filter((v) => values[v]);
    if (views.length > 1) throw usageError('choose one of --mine, --received and --all');
    const query = new URLSearchParams({ view: views[0] ?? 'mine' });
    if (values.status !== undefined) {
      if (!isRequestStatus(values.status)) throw usageError(`--status must be one of ${REQUEST_STATUSES.join(', ')}`);
      query.set('status', values.status);
    }
    if (values.limit !== undefined) {
      const limit = Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw usageError('--limit must be a whole number from 1 to 100');
      query.set('limit', String(limit));
    }
    if (values.cursor !== undefined) {
      if (values.cursor.length > 512) throw usageError('--cursor is too long');
      query.set('cursor', values.cursor);
    }
    const page = (await expectOk(await callApi(client(values, io.env), 'GET', `/requests?${query}`))) as { items: RequestView[]; nextCursor?: string };
    if (values.json) writeJson(io, page);
    else {
      io.stdout(listTable(page.items ?? []));
      if (page.nextCursor) io.stdout(`more: --cursor ${clean(page.nextCursor)}\n`);
    }
    return ExitCode.ok;
  }
  if (sub === 'show') {
    const { values, positionals } = parse(rest, {}, 1);
    if (values.help) return help(io);
    const id = requestId(positionals[0]);
    const request = (await expectOk(await callApi(client(values, io.env), 'GET', `/requests/${encodeURIComponent(id)}`))) as RequestView;
    if (values.json) writeJson(io, request);
    else io.stdout(showText(request));
    return ExitCode.ok;
  }
  if (sub === 'evidence') return evidenceExportCommand(rest, io);
  if (sub === 'diff') {
    const { values, positionals } = parse(rest, {}, 1);
    if (values.help) return help(io);
    const id = requestId(positionals[0]);
    const diff = (await expectOk(await callApi(client(values, io.env), 'GET', `/requests/${encodeURIComponent(id)}/diff`))) as ChangeDiff;
    if (values.json) writeJson(io, diff);
    else io.stdout(diffText(diff));
    return ExitCode.ok;
  }
  throw usageError(`unknown subcommand "requests ${sub}"`);
}

async function verdictCommand(action: 'approve' | 'reject', args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { notes: { type: 'string' } }, 1);
  if (values.help) return help(io);
  const id = requestId(positionals[0]);
  if (action === 'reject' && !values.notes) throw usageError('reject needs --notes TEXT: the requestor sees why');
  if (values.notes !== undefined && values.notes.length > NOTES_MAX) throw usageError(`--notes is at most ${NOTES_MAX} characters`);
  const body = { notes: values.notes ?? '' };
  const request = (await expectOk(
    await callApi(client(values, io.env), 'POST', `/requests/${encodeURIComponent(id)}/${action}`, body),
  )) as RequestView;
  if (values.json) writeJson(io, request);
  else if (action === 'approve') {
    const waiting = request.status === 'needsApproval' ? ` (${approvalsCell(request)} approvals; more are needed)` : '; the requestor can complete it now';
    io.stdout(`approved request ${clean(request.id)}: it is ${request.status}${waiting}\n`);
  } else io.stdout(`rejected request ${clean(request.id)}\n`);
  return ExitCode.ok;
}

async function cancelCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {}, 1);
  if (values.help) return help(io);
  const id = requestId(positionals[0]);
  const request = (await expectOk(await callApi(client(values, io.env), 'POST', `/requests/${encodeURIComponent(id)}/cancel`))) as RequestView;
  if (values.json) writeJson(io, request);
  else io.stdout(`canceled request ${clean(request.id)}\n`);
  return ExitCode.ok;
}

/**
 * complete relays the upstream's answer; X-MAA-Request-Status says what became of the request.
 * Without that header the answer is the gateway's own (a refusal, or an error before the replay).
 */
async function completeCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    { 'confirm-resend': { type: 'boolean', default: false }, 'break-glass': { type: 'string' }, at: { type: 'string' } },
    1,
  );
  if (values.help) return help(io);
  const id = requestId(positionals[0]);
  const chosen = [values['confirm-resend'], values['break-glass'] !== undefined, values.at !== undefined].filter(Boolean).length;
  if (chosen > 1) throw usageError('choose one of --confirm-resend, --break-glass and --at');
  if (values['break-glass'] !== undefined && values['break-glass'].length > NOTES_MAX) throw usageError(`--break-glass is at most ${NOTES_MAX} characters`);
  if (values.at !== undefined) return scheduleCommand(id, values.at, values, io);
  const query = values['confirm-resend'] ? '?resend=confirm' : '';
  const body = values['break-glass'] !== undefined ? { breakGlass: { reason: values['break-glass'] } } : undefined;
  const answer = await callApi(client(values, io.env), 'POST', `/requests/${encodeURIComponent(id)}/complete${query}`, body);
  const requestStatus = answer.headers.get('x-maa-request-status');
  const contentType = answer.headers.get('content-type') ?? undefined;
  if (requestStatus === 'completed' || requestStatus === 'failed') {
    if (values.json) {
      writeJson(io, { requestId: id, requestStatus, upstream: { status: answer.status, contentType, body: answer.json ?? answer.text } });
    } else {
      // The upstream's answer keeps its lines; only what could drive the terminal is cleaned.
      const preview = answer.text ? `\n${cleanLines(truncate(answer.text, 2000))}` : '';
      if (requestStatus === 'completed') io.stdout(`completed request ${id}: the upstream answered ${answer.status}${preview}\n`);
      else io.stderr(`request ${id} failed: the upstream refused the change with ${answer.status}${preview}\n`);
    }
    return requestStatus === 'completed' ? ExitCode.ok : ExitCode.upstreamRefused;
  }
  // Anything else is not a final outcome. An upstream 4xx always makes the request failed, so a
  // 4xx here is the gateway's own refusal; a 5xx is the upstream's or the gateway's, to retry.
  if (answer.status >= 400 && answer.status < 500) {
    const error = refusal(answer);
    const refused = (answer.json as { error?: { code?: string; nextWindowStart?: string } } | undefined)?.error;
    if (refused?.code === 'OUTSIDE_CHANGE_WINDOW' && refused.nextWindowStart) {
      throw new CliError(error.exitCode, `${error.message}\nto replay it then: countersign complete ${id} --at ${clean(refused.nextWindowStart)}`, error.details);
    }
    const stale = answer.json as { error?: { code?: string }; diff?: ChangeDiff } | undefined;
    if (stale?.error?.code === 'STALE_OBJECT' && stale.diff && !values.json) {
      // What the change would do to the object as it is now: the requestor decides whether to resubmit it.
      throw new CliError(error.exitCode, `${error.message}\nthe change against the object as it is now:\n${diffText(stale.diff)}`, error.details);
    }
    if ((answer.json as { error?: { code?: string } } | undefined)?.error?.code === 'OUTCOME_UNKNOWN') {
      throw new CliError(
        error.exitCode,
        `${error.message}\nan earlier replay may have reached the upstream; check it, then send it again on purpose with: countersign complete ${id} --confirm-resend`,
        error.details,
      );
    }
    throw error;
  }
  const still = requestStatus ? `request ${id} is still ${clean(requestStatus)}` : `request ${id} was not completed`;
  const gatewayError = refusal(answer);
  const detail = answer.status >= 500 ? gatewayError.message : `HTTP ${answer.status}`;
  if (values.json) {
    writeJson(io, { requestId: id, requestStatus: requestStatus ?? null, upstream: { status: answer.status, contentType, body: answer.json ?? answer.text } });
  }
  if (requestStatus === 'unknown') {
    // The upstream may have acted (Redis failed after the send): never suggest a blind retry.
    io.stderr(`request ${id}: the upstream answered ${answer.status} but the outcome could not be recorded; check the upstream, then if needed: countersign complete ${id} --confirm-resend\n`);
  } else io.stderr(`${still} (${detail}); try complete again later\n`);
  return ExitCode.unavailable;
}

/** `complete ID --at TIME`: schedules the replay (202 and the request, with scheduledFor). */
async function scheduleCommand(id: string, at: string, values: { token?: string; url?: string; json?: boolean }, io: CliIo): Promise<number> {
  const when = new Date(at);
  // A time without a zone would be read in this machine's zone: say which instant is meant.
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(at.trim()) || Number.isNaN(when.getTime())) {
    throw usageError(`--at must be an ISO-8601 time with its zone, e.g. 2026-12-07T09:30:00+01:00 or 2026-12-07T08:30:00Z; got "${at}"`);
  }
  const request = (await expectOk(
    await callApi(client(values, io.env), 'POST', `/requests/${encodeURIComponent(id)}/complete`, { scheduledFor: when.toISOString() }),
  )) as RequestView;
  if (values.json) writeJson(io, request);
  else io.stdout(`scheduled request ${clean(request.id)} for ${clean(request.scheduledFor ?? when.toISOString())}; cancel with: countersign unschedule ${clean(request.id)}\n`);
  return ExitCode.ok;
}

async function unscheduleCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {}, 1);
  if (values.help) return help(io);
  const id = requestId(positionals[0]);
  const request = (await expectOk(await callApi(client(values, io.env), 'DELETE', `/requests/${encodeURIComponent(id)}/schedule`))) as RequestView;
  if (values.json) writeJson(io, request);
  else io.stdout(`unscheduled request ${clean(request.id)}: it stays ${request.status}\n`);
  return ExitCode.ok;
}

async function reviewCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { notes: { type: 'string' } }, 1);
  if (values.help) return help(io);
  const id = requestId(positionals[0]);
  if (!values.notes) throw usageError('review needs --notes TEXT: what you found');
  if (values.notes.length > NOTES_MAX) throw usageError(`--notes is at most ${NOTES_MAX} characters`);
  const request = (await expectOk(
    await callApi(client(values, io.env), 'POST', `/requests/${encodeURIComponent(id)}/review`, { notes: values.notes }),
  )) as RequestView;
  if (values.json) writeJson(io, request);
  else io.stdout(`reviewed break-glass request ${clean(request.id)}\n`);
  return ExitCode.ok;
}

async function breakGlassCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'list') throw usageError(sub === undefined ? 'break-glass needs a subcommand: list' : `unknown subcommand "break-glass ${sub}"`);
  const { values } = parse(rest, { reviewed: { type: 'boolean', default: false }, limit: { type: 'string' } }, 0);
  if (values.help) return help(io);
  const query = new URLSearchParams({ reviewed: String(values.reviewed) });
  if (values.limit !== undefined) {
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw usageError('--limit must be a whole number from 1 to 100');
    query.set('limit', String(limit));
  }
  const page = (await expectOk(await callApi(client(values, io.env), 'GET', `/break-glass?${query}`))) as { items: RequestView[] };
  if (values.json) writeJson(io, page);
  else if ((page.items ?? []).length === 0) io.stdout(values.reviewed ? 'no reviewed break-glass requests\n' : 'no break-glass requests waiting for review\n');
  else {
    io.stdout(
      table(
        ['ID', 'STATUS', 'PROFILE', 'REQUESTOR', 'BROKE GLASS', 'REASON', values.reviewed ? 'REVIEWED BY' : 'APPROVERS'],
        page.items.map((r) => [
          r.id,
          r.status,
          r.decision?.profileType ?? '',
          r.requestor?.userId ?? '',
          r.breakGlass?.at ?? '',
          truncate(r.breakGlass?.reason ?? '', 50),
          values.reviewed ? (r.review?.userId ?? '') : (r.decision?.approverGroups ?? []).join(', '),
        ]),
      ),
    );
  }
  return ExitCode.ok;
}

function help(io: CliIo): number {
  io.stdout(USAGE);
  return ExitCode.ok;
}

/**
 * Runs one approval command; never throws, returns the exit code.
 *
 * @example
 * await run(['approve', '3f0c…', '--notes', 'Looks right', '--token', 'demo-bob']); // 0
 */
export async function run(args: string[], io: CliIo = defaultIo): Promise<number> {
  const [name, ...rest] = args;
  const wantsJson = rest.includes('--json');
  try {
    switch (name) {
      case 'requests':
        return await requestsCommand(rest, io);
      case 'approve':
      case 'reject':
        return await verdictCommand(name, rest, io);
      case 'cancel':
        return await cancelCommand(rest, io);
      case 'complete':
        return await completeCommand(rest, io);
      case 'unschedule':
        return await unscheduleCommand(rest, io);
      case 'review':
        return await reviewCommand(rest, io);
      case 'break-glass':
        return await breakGlassCommand(rest, io);
      default:
        throw usageError(`unknown command "${name ?? ''}"`);
    }
  } catch (error) {
    if (error instanceof CliError) {
      // Scripts asked for JSON get the gateway's refusal on stdout too, so they can read its code.
      if (wantsJson && error.exitCode !== ExitCode.usage && typeof error.details === 'object' && error.details !== null) {
        writeJson(io, error.details);
      }
      io.stderr(`countersign: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr(`countersign: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.unavailable;
  }
}
