/**
 * gRPC clients the Kafka listener proxies through: the active controller (InitProducerId, topic
 * administration) and group coordinators (groups and offsets). Addresses come from the broker's
 * etcd-fed metadata cache at each call, so a controller failover is followed without a restart.
 */
import type { ChannelCredentials } from '@grpc/grpc-js';
import { fromGrpcError, TributaryError } from '@tributary/errors';
import {
  type ControllerServiceClient,
  createClient,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse__Output,
  type GroupCoordinatorServiceClient,
} from '@tributary/proto';
import type { MetadataView } from '@tributary/registry';

/** How long a proxied unary call may take before the Kafka request fails with REQUEST_TIMED_OUT. */
export const PROXY_CALL_TIMEOUT_MS = 30_000;

export class ClusterClients {
  readonly #controllers = new Map<string, ControllerServiceClient>();
  readonly #coordinators = new Map<string, GroupCoordinatorServiceClient>();
  /** The coordinator address owning each group, as FindCoordinator last said. */
  readonly #groupOwners = new Map<string, string>();

  constructor(
    private readonly view: () => MetadataView,
    /** Transport of these links (`ServiceContext.transport.links`). */
    private readonly credentials: ChannelCredentials,
  ) {}

  /** The active controller's client; NOT_CONTROLLER (retriable) while none is active. */
  controller(): ControllerServiceClient {
    const active = this.view().controller()?.value;
    if (active === undefined) throw new TributaryError('NOT_CONTROLLER', 'no controller is active');
    const address = `${active.host}:${active.port}`;
    let client = this.#controllers.get(address);
    if (client === undefined) {
      client = createClient('ControllerService', address, { credentials: this.credentials });
      this.#controllers.set(address, client);
    }
    return client;
  }

  /** A coordinator's client by address; any live one when `address` is omitted. */
  coordinator(address?: string): GroupCoordinatorServiceClient {
    let target = address;
    if (target === undefined) {
      const live = [...this.view().coordinators().values()];
      if (live.length === 0)
        throw new TributaryError('COORDINATOR_NOT_AVAILABLE', 'no group coordinator is live');
      const first = live.sort((a, b) => a.id.localeCompare(b.id))[0]!;
      target = `${first.host}:${first.port}`;
    }
    let client = this.#coordinators.get(target);
    if (client === undefined) {
      client = createClient('GroupCoordinatorService', target, { credentials: this.credentials });
      this.#coordinators.set(target, client);
    }
    return client;
  }

  /** The client of the coordinator that owns `groupId` (asked with FindCoordinator, then cached). */
  async groupCoordinator(groupId: string): Promise<GroupCoordinatorServiceClient> {
    const known = this.#groupOwners.get(groupId);
    if (known !== undefined) return this.coordinator(known);
    const any = this.coordinator();
    const res = await callUnary<FindCoordinatorRequest, FindCoordinatorResponse__Output>(
      any,
      any.FindCoordinator,
      { groupId },
    );
    const owner = res.coordinator;
    if (!owner) throw new TributaryError('COORDINATOR_NOT_AVAILABLE', `no coordinator owns group ${groupId}`);
    const address = `${owner.host}:${owner.port}`;
    this.#groupOwners.set(groupId, address);
    return this.coordinator(address);
  }

  /** Forgets where a group lives (after NOT_COORDINATOR or an unreachable coordinator). */
  forgetGroup(groupId: string): void {
    this.#groupOwners.delete(groupId);
  }

  close(): void {
    for (const c of [...this.#controllers.values(), ...this.#coordinators.values()]) c.close();
    this.#controllers.clear();
    this.#coordinators.clear();
  }
}

type Unary<Req, Res> = (
  req: Req,
  options: { deadline: number },
  callback: (err: Error | null, res?: Res) => void,
) => unknown;

/** Calls a unary method; a failure becomes the TributaryError the service reported. */
export function callUnary<Req, Res>(client: object, method: Unary<Req, Res>, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(client, req, { deadline: Date.now() + PROXY_CALL_TIMEOUT_MS }, (err, res) => {
      if (err) reject(fromGrpcError(err));
      else resolve(res as Res);
    });
  });
}
