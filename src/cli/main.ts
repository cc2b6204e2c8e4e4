/**
 * `countersign <command>`: one dispatch table. Each command lives in its own module and is
 * loaded only when used, so `explain` starts without the HTTP client and vice versa.
 * Exit codes (docs/cli.md): 0 ok, 1 refused by the gateway, 2 usage error, 3 gateway unreachable
 * or 5xx, 4 complete reached the upstream and it refused (the request failed), 5 the audit chain or an
 * evidence file does not verify.
 */

type CommandModule = { run(args: string[]): Promise<number> };

const commands: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  init: { summary: 'init --upstream URL [--openapi FILE|URL] [--out DIR]: a config folder for your API', load: () => import('./init') },
  explain: { summary: 'would this call need approval, and from whom?', load: () => import('./explain') },
  policy: { summary: 'policy test | policy build: the OPA steps', load: () => import('./policy-commands') },
  requests: { summary: 'requests list [--mine|--received] [--status S] | requests show ID | requests evidence ID --out FILE', load: () => import('./approval-commands') },
  approve: { summary: 'approve ID --notes TEXT', load: () => import('./approval-commands') },
  reject: { summary: 'reject ID --notes TEXT', load: () => import('./approval-commands') },
  cancel: { summary: 'cancel ID', load: () => import('./approval-commands') },
  complete: { summary: 'complete ID [--break-glass REASON | --at TIME]', load: () => import('./approval-commands') },
  unschedule: { summary: 'unschedule ID: cancel a replay scheduled with complete --at', load: () => import('./approval-commands') },
  review: { summary: 'review ID --notes TEXT: review a break-glass after the fact', load: () => import('./approval-commands') },
  audit: { summary: 'audit head | audit verify [--anchor SEQ:HASH] | audit export: the tamper-evident audit chain', load: () => import('./audit-commands') },
  evidence: { summary: 'evidence verify FILE [--anchor SEQ:HASH]: check an evidence file offline', load: () => import('./audit-commands') },
  'break-glass': { summary: 'break-glass list [--reviewed]: the break-glass review queue', load: () => import('./approval-commands') },
};

export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: countersign <command> [options]\n\n${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`countersign: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const module = await command.load();
  // approval-commands and audit-commands serve several top-level names; they get the name back as their first argument.
  return module.run(name === 'explain' || name === 'policy' || name === 'init' ? rest : [name, ...rest]);
}
