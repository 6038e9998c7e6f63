export { BlackholeProxy } from './blackhole-proxy';
export { CertificateAuthority, type TlsIdentityFiles } from './certificate-authority';
export { ManagedProcess } from './child-process';
export { type EtcdServer, etcdHealthy, findEtcd, startEtcd } from './etcd-server';
export { checkHealth } from './health';
export {
  LocalCluster,
  type LocalClusterOptions,
  type LocalClusterTls,
  repoRoot,
  type ServiceKind,
  ServiceNode,
  serviceMain,
} from './local-cluster';
export {
  jaegerBinary,
  type RunningJaeger,
  type RunningPrometheus,
  type ScrapeJob,
  startJaeger,
  startPrometheus,
} from './observability-stack';
export { freePort, isPortFree } from './ports';
export { waitFor } from './wait-for';
