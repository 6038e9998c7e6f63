/** ApiVersions (key 18), versions 0-3: what the broker serves, asked first by every client. */
import type { KafkaApi } from '../api';
import { field, structs } from '../protocol/schema';

export const API_VERSIONS: KafkaApi = {
  key: 18,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: 3,
  request: [field('clientSoftwareName', 'string', '3+'), field('clientSoftwareVersion', 'string', '3+')],
  response: [
    field('errorCode', 'int16', '0+'),
    field(
      'apiKeys',
      structs([
        field('apiKey', 'int16', '0+'),
        field('minVersion', 'int16', '0+'),
        field('maxVersion', 'int16', '0+'),
      ]),
      '0+',
    ),
    field('throttleTimeMs', 'int32', '1+'),
  ],
};
