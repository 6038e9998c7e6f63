/**
 * The controller's metrics, named here once. Partition availability is the active controller's
 * view of etcd (Kafka's OfflinePartitionsCount is a controller metric too); a standby reports 0
 * for the gauges it cannot know, and `tributary_controller_active` 0.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** What the scrape-time gauges read: the active controller, if this process is it. */
export interface ControllerState {
  /** The controller epoch while this process is active. */
  epoch(): number | undefined;
  /** Every partition's leader and whether that leader is a live broker, while active. */
  partitions(): Iterable<{
    readonly leader: number;
    readonly leaderLive: boolean;
    readonly reassigning: boolean;
  }>;
}

export function createControllerMetrics(registry: Registry, state: ControllerState) {
  const registers = [registry];
  return {
    active: new Gauge({
      name: 'tributary_controller_active',
      help: '1 on the active controller, 0 on a standby: the sum over a cluster is 1.',
      registers,
      collect() {
        this.set(state.epoch() === undefined ? 0 : 1);
      },
    }),
    epoch: new Gauge({
      name: 'tributary_controller_epoch',
      help: 'Controller epoch (create revision of the controller key) of the active controller; 0 on a standby.',
      registers,
      collect() {
        this.set(state.epoch() ?? 0);
      },
    }),
    offlinePartitions: new Gauge({
      name: 'tributary_controller_offline_partitions',
      help: 'Partitions without a live leader, as the active controller sees them; 0 on a standby.',
      registers,
      collect() {
        let n = 0;
        if (state.epoch() !== undefined)
          for (const p of state.partitions()) if (p.leader < 0 || !p.leaderLive) n++;
        this.set(n);
      },
    }),
    reassigningPartitions: new Gauge({
      name: 'tributary_controller_reassigning_partitions',
      help: 'Partitions being reassigned (KIP-455), as the active controller sees them; 0 on a standby.',
      registers,
      collect() {
        let n = 0;
        if (state.epoch() !== undefined) for (const p of state.partitions()) if (p.reassigning) n++;
        this.set(n);
      },
    }),
    leaderElections: new Counter({
      name: 'tributary_controller_leader_elections_total',
      help: 'Partition leaders elected by this controller (failover, preferred, unclean).',
      registers,
    }),
  };
}
