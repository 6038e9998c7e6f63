/**
 * ControllerService handlers. Only the active controller answers: a standby (or an active one
 * that finds itself fenced mid-request) fails the call with NOT_CONTROLLER — gRPC status
 * FAILED_PRECONDITION, trailer `tributary-error-code: 41` — naming the active controller's address
 * when one is known, so a client can retry there (or find it in BrokerService.Metadata).
 */
import { TributaryError, toGrpcError } from '@tributary/errors';
import type {
  ControllerServiceHandlers,
  CreateAclsRequest__Output,
  DeleteAclsRequest__Output,
  DescribeAclsRequest__Output,
  DescribeConfigsRequest__Output,
  DescribeTopicsRequest__Output,
} from '@tributary/proto';
import type { Logger } from '@tributary/service-kit';
import { createAcls, deleteAcls, describeAcls } from './acl-admin';
import type { ActiveController } from './active-controller';
import {
  alterConfigs,
  controlledShutdown,
  createPartitions,
  createTopics,
  deleteTopics,
  electLeaders,
  initProducerId,
  isFenced,
} from './admin-handlers';
import {
  type ControllerIdentity,
  describeCluster,
  describeConfigs,
  describeTopics,
} from './describe-handlers';
import { alterPartitionReassignments, listPartitionReassignments } from './reassignment-handlers';

/** What the handlers need from the process: the active controller if this is it, and who is. */
export interface ControllerRole {
  readonly clusterId: string;
  readonly self: ControllerIdentity;
  /** The active controller, when this process holds the epoch. */
  active(): ActiveController | undefined;
  /** Where the active controller is, for NOT_CONTROLLER messages (read from etcd). */
  activeDescription(): Promise<string>;
}

type Handler<Req, Res> = (call: { request: Req }, callback: (err: unknown, value?: Res) => void) => void;

export function controllerServiceHandlers(role: ControllerRole, logger: Logger): ControllerServiceHandlers {
  const notController = async (why: string) =>
    new TributaryError('NOT_CONTROLLER', `${role.self.id} ${why}; ${await role.activeDescription()}`);

  const unary =
    <Req, Res>(
      name: string,
      fn: (controller: ActiveController, request: Req) => Promise<Res>,
    ): Handler<Req, Res> =>
    (call, callback) => {
      const run = async () => {
        const controller = role.active();
        if (!controller) throw await notController('is not the active controller');
        try {
          await controller.ready();
          return await fn(controller, call.request);
        } catch (err) {
          if (isFenced(err) || role.active() !== controller) {
            throw await notController(`stopped being the active controller (${(err as Error).message})`);
          }
          throw err;
        }
      };
      run().then(
        (response) => callback(null, response),
        (err) => {
          if (!(err instanceof TributaryError)) logger.error({ err, method: name }, 'request failed');
          callback(toGrpcError(err));
        },
      );
    };

  return {
    CreateTopics: unary('CreateTopics', createTopics),
    DeleteTopics: unary('DeleteTopics', deleteTopics),
    CreatePartitions: unary('CreatePartitions', createPartitions),
    AlterConfigs: unary('AlterConfigs', alterConfigs),
    ElectLeaders: unary('ElectLeaders', electLeaders),
    InitProducerId: unary('InitProducerId', initProducerId),
    ControlledShutdown: unary('ControlledShutdown', controlledShutdown),
    AlterPartitionReassignments: unary('AlterPartitionReassignments', alterPartitionReassignments),
    ListPartitionReassignments: unary('ListPartitionReassignments', listPartitionReassignments),
    CreateAcls: unary('CreateAcls', (c, request: CreateAclsRequest__Output) => createAcls(c.writer, request)),
    DescribeAcls: unary('DescribeAcls', (c, request: DescribeAclsRequest__Output) =>
      describeAcls(c.writer, request),
    ),
    DeleteAcls: unary('DeleteAcls', (c, request: DeleteAclsRequest__Output) => deleteAcls(c.writer, request)),
    DescribeCluster: unary('DescribeCluster', async (c) =>
      describeCluster(c.view, role.clusterId, role.self, c.epoch),
    ),
    DescribeTopics: unary('DescribeTopics', async (c, request: DescribeTopicsRequest__Output) =>
      describeTopics(c.view, request),
    ),
    DescribeConfigs: unary('DescribeConfigs', async (c, request: DescribeConfigsRequest__Output) =>
      describeConfigs(c.view, request),
    ),
  } as unknown as ControllerServiceHandlers;
}
