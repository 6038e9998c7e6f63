export { ClusterClients } from './cluster-clients';
export { KafkaGroupMembership } from './groups/group-membership';
export { groupBroker } from './groups/group-placement';
export { KafkaListener } from './kafka-listener';
export { servedApis } from './served-apis';
export { kafkaSettings, parseHostPort } from './settings';
