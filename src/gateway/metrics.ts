/**
 * The gateway's Prometheus metrics. Each gateway gets its own prom-client Registry (not the
 * global one), so tests can build many gateways in one process. Label values are fixed words
 * or error codes from src/errors.ts, never user input, so cardinality stays bounded.
 *
 * Beside Countersign's own `countersign_*` series, the registry carries prom-client's default
 * process and runtime series under their usual names (`process_resident_memory_bytes`,
 * `nodejs_heap_size_used_bytes`, `nodejs_eventloop_lag_seconds`, `nodejs_gc_duration_seconds`,
 * `nodejs_active_handles_total`, …), which dashboards and alerts expect. docs/operations.md
 * lists the alerts worth setting on them.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PolicyStatus } from '../policy/types';
import type { OutboxStatus } from '../notifications/outbox';

/** What the scrape-time gauges read; each scrape asks afresh, so the gauges are never stale. */
export interface MetricProbes {
  policyStatus(): PolicyStatus;
  /** Whether the store answers (a bounded ping); false on any error. */
  storeUp(): Promise<boolean>;
  /** Break-glass requests waiting for their review (a bounded store call); absent: the gauge is not registered. */
  unreviewedBreakGlass?(): Promise<number>;
  /** The notification outbox's backlog (a bounded Redis call); absent: its gauges are not registered. */
  notificationOutbox?(): Promise<OutboxStatus>;
}

export interface GatewayMetrics {
  registry: Registry;
  /** Policy decisions on mutations: protected, unprotected, or the refusal code. */
  decisions: Counter<'result'>;
  /** Calls parked as approval requests, by profile type. */
  parked: Counter<'profile_type'>;
  /** Request transitions through the API: action and result (ok or a refusal code). */
  transitions: Counter<'action' | 'result'>;
  /** Replays at complete: completed, failed, retryable, unknown (outcome not recorded). */
  replays: Counter<'outcome'>;
  /** Break-glass completes (the requestor completed without approvals), by profile type. */
  breakGlass: Counter<'profile_type'>;
  /** Reads of an object when its call is parked, by snapshot state: captured, failed, tooLarge, none. */
  snapshots: Counter<'state'>;
  /** Time from the first byte in to the response finished, proxied calls: read or mutation. */
  proxyDuration: Histogram<'kind'>;
  /** Time spent in the policy's decide, per mutation. */
  decisionDuration: Histogram;
  /** Approval API calls, by route family and status class. */
  apiDuration: Histogram<'route' | 'status'>;
  /** Upstream round trip of a replay. */
  replayDuration: Histogram<'outcome'>;
  /** Token requests for the upstream (upstream.auth): mode, and ok, refused, unreachable or invalid. */
  upstreamTokenRequests: Counter<'mode' | 'outcome'>;
  /** Notification deliveries by channel name (from the notifications file) and outcome: delivered, retried, dead. */
  notifications: Counter<'channel' | 'outcome'>;
  // Children of the hot path's series, bound once: prom-client hashes a label object per call otherwise.
  readDuration: ReturnType<Histogram<'kind'>['labels']>;
  mutationDuration: ReturnType<Histogram<'kind'>['labels']>;
  unprotectedDecisions: ReturnType<Counter<'result'>['labels']>;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Creates a fresh registry with the gateway's metrics (prefixed `countersign_`) and the default
 * process and runtime metrics, registered once, here.
 * @example
 * const metrics = createMetrics();
 * metrics.parked.inc({ profile_type: 'apps' });
 * await metrics.registry.metrics(); // Prometheus text, default series included
 */
export function createMetrics(probes?: MetricProbes): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  if (probes) registerProbes(registry, probes);
  const registers = [registry];
  const decisions = new Counter({ name: 'countersign_decisions_total', help: 'Policy decisions on mutations, by result', labelNames: ['result'], registers });
  const proxyDuration = new Histogram({ name: 'countersign_proxy_duration_seconds', help: 'Proxied calls, first byte in to response finished', labelNames: ['kind'], buckets: LATENCY_BUCKETS, registers });
  return {
    registry,
    decisions,
    proxyDuration,
    readDuration: proxyDuration.labels('read'),
    mutationDuration: proxyDuration.labels('mutation'),
    unprotectedDecisions: decisions.labels('unprotected'),
    parked: new Counter({ name: 'countersign_parked_total', help: 'Calls parked for approval, by profile type', labelNames: ['profile_type'], registers }),
    transitions: new Counter({ name: 'countersign_transitions_total', help: 'Approval request transitions asked through the API, by action and result', labelNames: ['action', 'result'], registers }),
    breakGlass: new Counter({ name: 'countersign_break_glass_total', help: 'Requests completed by break-glass (without approvals), by profile type', labelNames: ['profile_type'], registers }),
    snapshots: new Counter({ name: 'countersign_snapshots_total', help: 'Snapshots of objects read when their call was parked, by state', labelNames: ['state'], registers }),
    replays: new Counter({ name: 'countersign_replays_total', help: 'Replays of approved calls, by outcome', labelNames: ['outcome'], registers }),
    decisionDuration: new Histogram({ name: 'countersign_decision_duration_seconds', help: 'Policy decide() time per mutation', buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05], registers }),
    apiDuration: new Histogram({ name: 'countersign_api_duration_seconds', help: 'Approval API calls', labelNames: ['route', 'status'], buckets: LATENCY_BUCKETS, registers }),
    replayDuration: new Histogram({ name: 'countersign_replay_duration_seconds', help: 'Upstream round trip of replays', labelNames: ['outcome'], buckets: LATENCY_BUCKETS, registers }),
    upstreamTokenRequests: new Counter({ name: 'countersign_upstream_token_requests_total', help: 'Token requests for the upstream credential (upstream.auth), by mode and outcome', labelNames: ['mode', 'outcome'], registers }),
    notifications: new Counter({ name: 'countersign_notifications_total', help: 'Notification delivery attempts, by channel and outcome: delivered, retried (failed, will retry), dead (given up: in the dead-letter list)', labelNames: ['channel', 'outcome'], registers }),
  };
}

/** Gauges set when scraped: whether the policy serves, whether its last reload failed, whether the store answers. */
function registerProbes(registry: Registry, probes: MetricProbes): void {
  const registers = [registry];
  const policy = (): PolicyStatus | undefined => {
    try {
      return probes.policyStatus();
    } catch {
      return undefined;
    }
  };
  new Gauge({
    name: 'countersign_policy_ready',
    help: '1 when a policy is loaded and serving decisions',
    registers,
    collect() {
      this.set(policy()?.ready ? 1 : 0);
    },
  });
  new Gauge({
    name: 'countersign_policy_reload_failing',
    help: '1 while the last policy reload failed and the last good policy keeps serving',
    registers,
    collect() {
      this.set(policy()?.lastError ? 1 : 0);
    },
  });
  new Counter({
    name: 'countersign_policy_bundle_loads_total',
    help: 'Polls of the policy bundle server (policy.bundleUrl), by outcome: loaded, unchanged (304), fetch_failed, refused (unsigned, tampered or invalid; the last good bundle keeps serving)',
    labelNames: ['outcome'],
    registers,
    collect() {
      // The engine counts; this copies its counts at scrape time. Absent without a bundle server.
      const loads = policy()?.bundle?.loads;
      this.reset();
      if (loads) for (const [outcome, n] of Object.entries(loads)) this.inc({ outcome }, n);
    },
  });
  if (probes.unreviewedBreakGlass) {
    const count = probes.unreviewedBreakGlass.bind(probes);
    new Gauge({
      name: 'countersign_break_glass_unreviewed',
      help: 'Break-glass requests waiting for an approver\'s review, at scrape time (absent when the store does not answer)',
      registers,
      async collect() {
        const n = await count().catch(() => null);
        if (n === null) this.reset();
        else this.set(n);
      },
    });
  }
  if (probes.notificationOutbox) {
    // One outbox read per scrape serves the three gauges (prom-client collects them one after another).
    const read = probes.notificationOutbox.bind(probes);
    let last: { at: number; status: Promise<OutboxStatus | null> } | undefined;
    const status = (): Promise<OutboxStatus | null> => {
      if (!last || Date.now() - last.at > 1000) last = { at: Date.now(), status: read().catch(() => null) };
      return last.status;
    };
    const gauge = (name: string, help: string, pick: (s: OutboxStatus) => number | null) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const s = await status();
          const value = s ? pick(s) : null;
          if (value === null) this.reset();
          else this.set(value);
        },
      });
    gauge('countersign_notification_backlog', 'Notification events not yet delivered to every channel, at scrape time (absent when Redis does not answer)', (s) => s.undelivered);
    gauge('countersign_notification_dead_letters', 'Notification deliveries given up after their last try, waiting in the dead-letter list', (s) => s.deadLetters);
    gauge('countersign_notification_oldest_age_seconds', 'Age of the oldest undelivered notification event (0 when none)', (s) => s.oldestAgeSeconds ?? 0);
  }
  new Gauge({
    name: 'countersign_store_up',
    help: '1 when Redis answered a ping at scrape time',
    registers,
    async collect() {
      this.set((await probes.storeUp().catch(() => false)) ? 1 : 0);
    },
  });
}
