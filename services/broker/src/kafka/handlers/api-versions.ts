/** ApiVersions: the APIs and versions this listener serves, and nothing it does not. */
import type { Message } from '../protocol/schema';
import type { KafkaHandler, ServedApi } from '../served-api';

export function apiVersionsHandler(served: () => Iterable<ServedApi>): KafkaHandler {
  return (): Message => ({
    errorCode: 0,
    apiKeys: [...served()]
      .map(({ api }) => ({ apiKey: api.key, minVersion: api.minVersion, maxVersion: api.maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey),
    throttleTimeMs: 0,
  });
}
