export { ClusterClients } from './cluster-clients';
export { KafkaListener } from './kafka-listener';
export { servedApis } from './served-apis';
export { kafkaSettings, parseHostPort } from './settings';
