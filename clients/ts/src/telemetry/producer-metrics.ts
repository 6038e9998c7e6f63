/**
 * The producer's metrics, through the OpenTelemetry metrics API, fed from one place (the
 * sender): records sent (send rate), batch size in bytes and records, and retries. The meter
 * comes from the `meterProvider` client option, else the global one the application registered
 * (the OpenTelemetry SDK's `MeterProvider`, exported by OTLP or Prometheus as it chooses); with
 * neither, the API's no-op meter, which costs a call and no memory.
 */
import type { Attributes, Counter, Histogram, MeterProvider } from '@opentelemetry/api';
import { metrics } from '@opentelemetry/api';
import { Attr, ClientMetricName, MESSAGING_SYSTEM, TRACER_NAME } from '@tributary/telemetry';

/** Batch sizes in bytes: 1 KiB to 16 MiB, powers of 4 (the default batch is 64 KiB). */
const BATCH_BYTES_BUCKETS = [1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216];
/** Records per batch. */
const BATCH_RECORDS_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16_384];

export class ProducerMetrics {
  readonly #sent: Counter;
  readonly #batchBytes: Histogram;
  readonly #batchRecords: Histogram;
  readonly #retries: Counter;
  readonly #clientId: string;

  constructor(clientId: string, provider: MeterProvider = metrics.getMeterProvider()) {
    this.#clientId = clientId;
    const meter = provider.getMeter(TRACER_NAME);
    this.#sent = meter.createCounter(ClientMetricName.sentMessages, {
      description: 'Records the producer sent and the brokers acknowledged (error.type set when they failed)',
      unit: '{message}',
    });
    this.#batchBytes = meter.createHistogram(ClientMetricName.batchSize, {
      description: 'Bytes of each record batch as first sent (encoded, after compression)',
      unit: 'By',
      advice: { explicitBucketBoundaries: BATCH_BYTES_BUCKETS },
    });
    this.#batchRecords = meter.createHistogram(ClientMetricName.batchRecords, {
      description: 'Records in each record batch as first sent',
      unit: '{message}',
      advice: { explicitBucketBoundaries: BATCH_RECORDS_BUCKETS },
    });
    this.#retries = meter.createCounter(ClientMetricName.retries, {
      description: 'Record batches sent again after a retriable error',
      unit: '{batch}',
    });
  }

  /** The attributes of a topic without an error, made once: they were built per batch. */
  readonly #byTopic = new Map<string, Attributes>();

  #attributes(topic: string, errorType?: string): Attributes {
    if (errorType === undefined) {
      let attributes = this.#byTopic.get(topic);
      if (attributes === undefined) {
        attributes = Object.freeze(this.#build(topic));
        this.#byTopic.set(topic, attributes);
      }
      return attributes;
    }
    return this.#build(topic, errorType);
  }

  #build(topic: string, errorType?: string): Attributes {
    return {
      [Attr.messagingSystem]: MESSAGING_SYSTEM,
      [Attr.messagingOperationName]: 'send',
      [Attr.destinationName]: topic,
      [Attr.clientId]: this.#clientId,
      ...(errorType === undefined ? {} : { [Attr.errorType]: errorType }),
    };
  }

  /** A batch goes out for the first time. */
  batchSent(topic: string, bytes: number, records: number): void {
    const attributes = this.#attributes(topic);
    this.#batchBytes.record(bytes, attributes);
    this.#batchRecords.record(records, attributes);
  }

  /** A batch's records were acknowledged (`errorType` undefined) or failed for good. */
  recordsDone(topic: string, records: number, errorType?: string): void {
    this.#sent.add(records, this.#attributes(topic, errorType));
  }

  /** A batch will be sent again after `errorType`. */
  retried(topic: string, errorType: string): void {
    this.#retries.add(1, this.#attributes(topic, errorType));
  }
}
