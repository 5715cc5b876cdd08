import { Counter, Histogram, type Registry } from 'prom-client';

/** What a replica (a process sharing a store with others) counts: store operations, forwards to other replicas, sessions taken over. */
export class ReplicaMetrics {
  private readonly storeOps: Counter<'op' | 'outcome'>;
  private readonly forwards: Counter<'outcome'>;
  private readonly forwardSeconds: Histogram;
  private readonly takeovers: Counter<'reason'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.storeOps = new Counter({
      name: 'mcproxy_store_operations_total',
      help: 'Operations on the shared store (store:), by operation and outcome (ok, error).',
      labelNames: ['op', 'outcome'],
      registers,
    });
    this.forwards = new Counter({
      name: 'mcproxy_replica_forwards_total',
      help: 'Requests sent to the replica that holds their session, by outcome (answered, not-here, unreachable, failed).',
      labelNames: ['outcome'],
      registers,
    });
    this.forwardSeconds = new Histogram({
      name: 'mcproxy_replica_forward_seconds',
      help: 'How long a forwarded request took until its answer began, in seconds.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    });
    this.takeovers = new Counter({
      name: 'mcproxy_replica_takeovers_total',
      help: 'Sessions this replica took over, by why (dead: the owner stopped renewing its lease; released: the owner drained).',
      labelNames: ['reason'],
      registers,
    });
  }

  storeOperation(op: string, outcome: 'ok' | 'error'): void {
    this.storeOps.inc({ op, outcome });
  }

  forward(outcome: string, seconds: number): void {
    this.forwards.inc({ outcome });
    if (outcome === 'answered') this.forwardSeconds.observe(seconds);
  }

  takeover(reason: string): void {
    this.takeovers.inc({ reason });
  }
}
