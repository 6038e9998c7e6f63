import { setting } from '@tributary/service-kit';

/** The controller's own settings (the common ones are added by the service kit). */
export const controllerSettings = {
  'controller.id': setting.string({
    doc: 'Unique id of this controller replica (defaults to the host name).',
    default: '',
  }),
  port: setting.port({ doc: 'gRPC port of the ControllerService.', default: 9190 }),
  'num.partitions': setting.int({
    doc: 'Partitions of a topic created with num_partitions 0.',
    default: 1,
    min: 1,
  }),
  'default.replication.factor': setting.int({
    doc: 'Replication factor of a topic created with replication_factor 0.',
    default: 1,
    min: 1,
  }),
  'auto.leader.rebalance.enable': setting.boolean({
    doc: 'Move leadership back to each partition’s preferred replica (the first) as soon as it is live and in the ISR.',
    default: true,
  }),
  'leader.check.interval.ms': setting.int({
    doc: 'Interval of the full leadership pass (preferred leaders back, anything a watch event did not trigger).',
    default: 10_000,
    min: 100,
  }),
  'topic.deletion.timeout.ms': setting.int({
    doc: 'How long a topic deletion waits for live replicas to report their data deleted before removing the topic’s keys anyway (a broker deletes leftover data of unknown topics when it starts).',
    default: 30_000,
    min: 0,
  }),
  'producer.id.block.size': setting.int({
    doc: 'Producer ids a controller reserves in etcd at a time.',
    default: 1000,
    min: 1,
  }),
};
