/**
 * `npm run demo`: starts the demo (start-demo.ts) on http://localhost:8080 (PORT overrides; with
 * DEMO_TLS=1 on https, with a self-signed certificate it says how to trust), prints who is who and a
 * few calls to try, and stops everything it started on Ctrl-C (SIGINT) or SIGTERM.
 */
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { displayPath } from '../config/yaml-file';
import { DEMO_TOKENS_FILE, DemoError, startDemo } from './start-demo';

interface DemoIdentity {
  token: string;
  userId: string;
  groups: string[];
  description?: string;
}

function identities(): DemoIdentity[] {
  const file = parse(readFileSync(DEMO_TOKENS_FILE, 'utf8')) as { tokens?: DemoIdentity[] };
  return file.tokens ?? [];
}

/**
 * The banner: who is who, three calls to try, where the console and the CLI are; with `certFile`
 * (DEMO_TLS=1), https URLs and how to trust the certificate.
 */
export function banner(gatewayUrl: string, upstreamUrl: string, people: DemoIdentity[], ownRedis = true, certFile?: string): string {
  const { port, protocol } = new URL(gatewayUrl);
  const base = `${protocol}//localhost:${port}`;
  const cert = certFile === undefined ? undefined : displayPath(certFile);
  // Every curl line trusts the demo's certificate explicitly rather than telling curl to skip the check.
  const curl = cert === undefined ? 'curl' : `curl --cacert ${cert}`;
  const trust =
    cert === undefined
      ? ''
      : `
TLS: the gateway serves https with a self-signed certificate for localhost and 127.0.0.1,
made for this demo and kept in ${cert}. Trust that file, and only for this demo:
  curl:     curl --cacert ${cert} ${base}/healthz
  Node.js:  NODE_EXTRA_CA_CERTS=${cert} node your-script.mjs   (the CLI too)
  browsers: accept the warning for ${base}, or import the file as a trusted authority
`;
  const width = Math.max(...people.map((p) => p.userId.length));
  const tokenWidth = Math.max(...people.map((p) => p.token.length));
  const who = people
    .map((p) => `  ${p.userId.padEnd(width)}  ${p.token.padEnd(tokenWidth)}  ${p.description ?? ''} [${p.groups.join(', ')}]`)
    .join('\n');
  return `
Countersign demo is running.

  gateway      ${base}  (in front of the demo Graph API at ${upstreamUrl})
  web console  ${base}/maa/console/
  approval API ${base}/maa/v1  (description: ${base}/maa/v1/openapi.json)
${trust}
Who is who (static bearer tokens, for this demo only):
${who}

Try it:
  # 1. alice changes an app: the gateway parks the call and answers 403 ApprovalRequired, as Graph
  #    does under Multi Admin Approval, with the request id and approval code in error.innerError
  ${curl} -i -X PATCH ${base}/deviceAppManagement/mobileApps/42 -H "Authorization: Bearer demo-alice" -H "Content-Type: application/json" -H "X-MAA-Justification: Ticket%20INC-1234%3A%20rename%20the%20portal" -d '{"displayName":"Contoso Portal v2"}'
  # 2. bob sees what waits for him (then: POST ${base}/maa/v1/requests/<id>/approve; once approved,
  #    alice resends the identical call with -H "X-MAA-Approval-Code: <code>" and it is applied)
  ${curl} -s "${base}/maa/v1/requests?view=received" -H "Authorization: Bearer demo-bob"
  # 3. reads pass straight through
  ${curl} -s ${base}/deviceAppManagement/mobileApps/42 -H "Authorization: Bearer demo-alice"

Or with the CLI:  ${cert === undefined ? '' : `NODE_EXTRA_CA_CERTS=${cert} `}COUNTERSIGN_URL=${base} COUNTERSIGN_TOKEN=demo-bob npx countersign requests list --received

Gateway logs (JSON lines): DEMO_LOG=1 npm run demo
Ctrl-C stops the gateway, the demo Graph API${ownRedis ? " and the demo's redis-server" : ' (Redis from REDIS_URL is left running)'}.
`;
}

async function main(): Promise<void> {
  const raw = process.env.PORT;
  const port = raw === undefined || raw === '' ? 8080 : Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`demo: PORT must be a port number (0-65535), got "${raw}"\n`);
    process.exit(2);
  }
  let demo;
  try {
    demo = await startDemo({ port, log: process.env.DEMO_LOG === '1', tls: process.env.DEMO_TLS === '1' });
  } catch (error) {
    const message = error instanceof DemoError ? error.message : `demo: could not start: ${(error as Error).message}`;
    process.stderr.write(`${message}\n`);
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') process.stderr.write(`demo: port ${port} is taken; try PORT=8081 npm run demo\n`);
    process.exit(1);
  }
  process.stdout.write(banner(demo.gatewayUrl, demo.upstreamUrl, identities(), demo.ownRedis, demo.certFile));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\ndemo: ${signal}: stopping\n`);
    // A second Ctrl-C while stopping is ignored above; a hang is cut short here.
    setTimeout(() => process.exit(1), 10_000).unref();
    demo.stop().then(
      () => process.exit(0),
      (error: Error) => {
        process.stderr.write(`demo: ${error.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

await main();
