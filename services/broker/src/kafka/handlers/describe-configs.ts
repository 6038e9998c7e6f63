/**
 * DescribeConfigs over Kafka, proxied to the controller. Kafka's resource types TOPIC (2) and
 * BROKER (4) are Tributary's TOPIC (1) and BROKER (2); sources map to Kafka's
 * DYNAMIC_TOPIC_CONFIG (1), STATIC_BROKER_CONFIG (4) and DEFAULT_CONFIG (5). Other resource types
 * answer INVALID_REQUEST.
 */
import { kafkaErrorCode, TributaryError } from '@tributary/errors';
import type {
  ConfigResource,
  DescribeConfigsRequest,
  DescribeConfigsResponse__Output,
} from '@tributary/proto';
import { type ClusterClients, callUnary } from '../cluster-clients';
import type { Message } from '../protocol/schema';
import type { KafkaHandler } from '../served-api';

const KAFKA_TOPIC = 2;
const KAFKA_BROKER = 4;
const TO_TRIBUTARY: Readonly<Record<number, number>> = { [KAFKA_TOPIC]: 1, [KAFKA_BROKER]: 2 };
/** Tributary ConfigSource -> Kafka config source. */
const SOURCES: Readonly<Record<number, number>> = { 1: 5, 2: 4, 3: 1 };
const INVALID_REQUEST = 42;

interface Resource {
  resourceType: number;
  resourceName: string;
  configurationKeys: string[] | null;
}

export function describeConfigsHandler(clients: ClusterClients): KafkaHandler {
  return async (body) => {
    const resources = body['resources'] as Resource[];
    const served = resources.filter((r) => TO_TRIBUTARY[r.resourceType] !== undefined);
    const results = new Map<string, Message>();
    if (served.length > 0) {
      try {
        const controller = clients.controller();
        const res = await callUnary<DescribeConfigsRequest, DescribeConfigsResponse__Output>(
          controller,
          controller.DescribeConfigs,
          {
            includeDocumentation: body['includeDocumentation'] as boolean,
            resources: served.map((r) => ({
              type: TO_TRIBUTARY[r.resourceType] as ConfigResource['type'],
              name: r.resourceName,
              configNames: r.configurationKeys ?? [],
            })),
          },
        );
        res.results.forEach((result, i) => {
          const r = served[i]!;
          results.set(`${r.resourceType}/${r.resourceName}`, {
            errorCode: kafkaErrorCode(Number(result.errorCode)),
            errorMessage: result.errorMessage || null,
            resourceType: r.resourceType,
            resourceName: r.resourceName,
            configs: result.entries.map((e) => ({
              name: e.name,
              value: e.value ?? null,
              readOnly: e.readOnly,
              configSource: SOURCES[Number(e.source)] ?? -1,
              isSensitive: e.isSensitive,
              synonyms: [],
              configType: 0,
              documentation: e.documentation || null,
            })),
          });
        });
      } catch (err) {
        const code = kafkaErrorCode(err instanceof TributaryError ? err.code : 1000);
        for (const r of served)
          results.set(`${r.resourceType}/${r.resourceName}`, {
            errorCode: code,
            errorMessage: String((err as Error).message),
            resourceType: r.resourceType,
            resourceName: r.resourceName,
            configs: [],
          });
      }
    }
    return {
      throttleTimeMs: 0,
      results: resources.map(
        (r) =>
          results.get(`${r.resourceType}/${r.resourceName}`) ?? {
            errorCode: INVALID_REQUEST,
            errorMessage: `resource type ${r.resourceType} is not supported`,
            resourceType: r.resourceType,
            resourceName: r.resourceName,
            configs: [],
          },
      ),
    };
  };
}
