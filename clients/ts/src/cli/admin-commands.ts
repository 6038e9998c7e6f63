/** `topics *`, `groups *` and `cluster describe`. */
import type { Tributary } from '../tributary';
import type { ClusterDescribeArgs } from './commands/cluster';
import type {
  GroupsDeleteArgs,
  GroupsDescribeArgs,
  GroupsListArgs,
  GroupsResetOffsetsArgs,
} from './commands/groups';
import type {
  TopicsAlterArgs,
  TopicsCreateArgs,
  TopicsDeleteArgs,
  TopicsDescribeArgs,
  TopicsListArgs,
} from './commands/topics';
import { json, type Output, table } from './output';

export async function topicsCreate(t: Tributary, c: TopicsCreateArgs, io: Output): Promise<void> {
  const admin = t.admin();
  try {
    const [created] = await admin.createTopics([
      {
        name: c.topic,
        ...(c.partitions === undefined ? {} : { numPartitions: c.partitions }),
        ...(c.replicationFactor === undefined ? {} : { replicationFactor: c.replicationFactor }),
        configs: c.configs,
      },
    ]);
    io.out(
      c.json
        ? json(created)
        : `Created topic ${created!.name} (${created!.numPartitions} partitions, replication factor ${created!.replicationFactor}).`,
    );
  } catch (err) {
    if (c.ifNotExists && (err as { errorName?: string }).errorName === 'TOPIC_ALREADY_EXISTS') {
      io.out(c.json ? json({ name: c.topic, existed: true }) : `Topic ${c.topic} already exists.`);
      return;
    }
    throw err;
  }
}

export async function topicsList(t: Tributary, c: TopicsListArgs, io: Output): Promise<void> {
  const names = await t.admin().listTopics();
  if (c.json) io.out(json(names));
  else for (const n of names) io.out(n);
}

export async function topicsDescribe(t: Tributary, c: TopicsDescribeArgs, io: Output): Promise<void> {
  const admin = t.admin();
  const topics = await admin.describeTopics(c.topic === undefined ? [] : [c.topic]);
  const described = await Promise.all(
    topics.map(async (topic) => {
      const offsets = await admin.fetchTopicOffsets(topic.name).catch(() => []);
      const by = new Map(offsets.map((o) => [o.partition, o]));
      return {
        ...topic,
        partitions: topic.partitions.map((p) => ({
          ...p,
          earliestOffset: by.get(p.partition)?.earliest ?? -1,
          latestOffset: by.get(p.partition)?.latest ?? -1,
        })),
      };
    }),
  );
  if (c.json) {
    io.out(json(c.topic === undefined ? described : described[0]));
    return;
  }
  for (const topic of described) {
    const configs = Object.entries(topic.configs)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    io.out(
      `Topic: ${topic.name}\tTopicId: ${topic.topicId}\tPartitionCount: ${topic.partitions.length}\tReplicationFactor: ${topic.partitions[0]?.replicas.length ?? 0}\tConfigs: ${configs}`,
    );
    io.out(
      table(
        ['PARTITION', 'LEADER', 'EPOCH', 'REPLICAS', 'ISR', 'EARLIEST', 'LATEST'],
        topic.partitions.map((p) => [
          p.partition,
          p.leader,
          p.leaderEpoch,
          p.replicas.join(','),
          p.isr.join(','),
          p.earliestOffset,
          p.latestOffset,
        ]),
      ),
    );
  }
}

export async function topicsDelete(t: Tributary, c: TopicsDeleteArgs, io: Output): Promise<void> {
  await t.admin().deleteTopics([c.topic]);
  io.out(c.json ? json({ deleted: c.topic }) : `Deleted topic ${c.topic}.`);
}

export async function topicsAlter(t: Tributary, c: TopicsAlterArgs, io: Output): Promise<void> {
  const admin = t.admin();
  if (c.partitions !== undefined) await admin.createPartitions([{ topic: c.topic, count: c.partitions }]);
  if (Object.keys(c.configs).length > 0 || c.deleteConfigs.length > 0) {
    await admin.alterConfigs([{ topic: c.topic, set: c.configs, delete: c.deleteConfigs }]);
  }
  io.out(c.json ? json({ altered: c.topic }) : `Altered topic ${c.topic}.`);
}

export async function groupsList(t: Tributary, c: GroupsListArgs, io: Output): Promise<void> {
  const groups = await t.admin().listGroups();
  if (c.json) io.out(json(groups));
  else
    io.out(
      table(
        ['GROUP', 'STATE', 'ASSIGNOR', 'MEMBERS'],
        groups.map((g) => [g.groupId, g.state, g.assignor, g.memberCount]),
      ),
    );
}

export async function groupsDescribe(t: Tributary, c: GroupsDescribeArgs, io: Output): Promise<void> {
  const [g] = await t.admin().describeGroups([c.group]);
  if (c.json) {
    io.out(json(g));
    return;
  }
  const group = g!;
  const members = new Map(group.members.map((m) => [m.memberId, m]));
  io.out(
    `Group ${group.groupId}: state ${group.state}, assignor ${group.assignor || '-'}, generation ${group.generationId}, ${group.members.length} member(s), total lag ${group.totalLag}`,
  );
  const dash = (n: number) => (n < 0 ? '-' : n);
  io.out(
    table(
      ['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'],
      group.partitions.map((p) => {
        const m = members.get(p.owner);
        return [
          p.topic,
          p.partition,
          dash(p.committedOffset),
          dash(p.logEndOffset),
          dash(p.lag),
          p.owner || '-',
          m?.host || '-',
          m?.clientId || '-',
        ];
      }),
    ),
  );
}

export async function groupsResetOffsets(t: Tributary, c: GroupsResetOffsetsArgs, io: Output): Promise<void> {
  const results = await t.admin().resetOffsets({
    groupId: c.group,
    topic: c.topic,
    ...(c.partitions === undefined ? {} : { partitions: c.partitions }),
    reset: c.reset,
    dryRun: !c.execute,
  });
  if (c.json) {
    io.out(json({ group: c.group, topic: c.topic, executed: c.execute, partitions: results }));
    return;
  }
  io.out(
    table(
      ['GROUP', 'TOPIC', 'PARTITION', 'PREVIOUS-OFFSET', 'NEW-OFFSET'],
      results.map((r) => [
        c.group,
        c.topic,
        r.partition,
        r.previousOffset < 0 ? '-' : r.previousOffset,
        r.newOffset,
      ]),
    ),
  );
  if (!c.execute) io.out('Dry run: nothing changed. Add --execute to apply.');
}

export async function groupsDelete(t: Tributary, c: GroupsDeleteArgs, io: Output): Promise<void> {
  await t.admin().deleteGroups([c.group]);
  io.out(c.json ? json({ deleted: c.group }) : `Deleted group ${c.group}.`);
}

export async function clusterDescribe(t: Tributary, c: ClusterDescribeArgs, io: Output): Promise<void> {
  const info = await t.admin().describeCluster();
  if (c.json) {
    io.out(json(info));
    return;
  }
  const ctl = info.controller;
  io.out(`Cluster: ${info.clusterId}`);
  io.out(
    `Controller: ${ctl === undefined ? 'none (election in progress)' : `${ctl.id} at ${ctl.host}:${ctl.port}`} (epoch ${info.controllerEpoch})`,
  );
  io.out('');
  io.out(
    table(
      ['BROKER', 'HOST', 'PORT', 'RACK'],
      info.brokers.map((b) => [b.id, b.host, b.port, b.rack || '-']),
    ),
  );
  io.out('');
  io.out(
    table(
      ['COORDINATOR', 'HOST', 'PORT'],
      info.coordinators.map((x) => [x.id, x.host, x.port]),
    ),
  );
  io.out('');
  if (info.underReplicatedPartitions.length === 0) io.out('Under-replicated partitions: none');
  else {
    io.out('Under-replicated partitions:');
    io.out(
      table(
        ['TOPIC', 'PARTITION', 'REPLICAS', 'ISR'],
        info.underReplicatedPartitions.map((p) => [
          p.topic,
          p.partition,
          p.replicas.join(','),
          p.isr.join(','),
        ]),
      ),
    );
  }
  if (info.offlinePartitions.length > 0) {
    io.out(
      `Offline partitions: ${info.offlinePartitions.map((p) => `${p.topic}-${p.partition}`).join(', ')}`,
    );
  }
}
