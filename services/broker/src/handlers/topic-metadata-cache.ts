/**
 * The Metadata answer of each topic, built once per change of the topic's metadata and shared
 * by every request until the next one. A 10,000-partition topic's answer is 10,000 partition
 * objects (~230 KB encoded); clients poll it, and building it per request cost a loaded broker
 * about a second each while a large topic was being created (docs/scale.md).
 *
 * A topic's entry goes when its record or one of its partition states changes; every entry goes
 * when a broker registers or leaves (leaders count only if live, and offline replicas are the
 * ones not live). The view reports every difference, also after a reconnect or a compaction
 * (registry's MetadataView), so an entry is never stale. Answers are shared: callers must not
 * mutate them.
 */
import type { ProtoErrorCode__Output, TopicMetadata } from '@tributary/proto';
import { describePartitions } from '@tributary/registry';
import type { ClusterMetadata } from '../cluster';

const code = (n: number) => n as ProtoErrorCode__Output;

export class TopicMetadataCache {
  readonly #answers = new Map<string, TopicMetadata>();
  /** Answers built so far (for shape tests: once per change, not per request). */
  builds = 0;

  constructor(private readonly metadata: ClusterMetadata) {
    metadata.onChange((change) => {
      if (change.section === 'topics' || change.section === 'partitions') this.#answers.delete(change.topic);
      else if (change.section === 'brokers') this.#answers.clear();
    });
  }

  /** The topic's answer, or undefined if it does not exist (or is being deleted). */
  get(name: string): TopicMetadata | undefined {
    const cached = this.#answers.get(name);
    if (cached !== undefined) return cached;
    const partitions = describePartitions(this.metadata.view, name);
    const record = this.metadata.topic(name);
    if (!partitions || !record) return undefined;
    this.builds++;
    const answer: TopicMetadata = {
      name,
      topicId: record.topicId,
      partitions: partitions.map((p) => ({ ...p, errorCode: code(p.errorCode) })),
    };
    this.#answers.set(name, answer);
    return answer;
  }
}
