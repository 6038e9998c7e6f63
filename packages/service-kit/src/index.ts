export { principalOf } from './auth/authentication';
export { accessRefusal } from './auth/authorize-handlers';
export { type Access, deniedAccess, RPC_POLICIES, type RpcPolicy } from './auth/rpc-policies';
export { type AuthMode, createServiceSecurity, type ServiceSecurity } from './auth/service-security';
export { commonSettings } from './common-settings';
export {
  type ConfigOf,
  envName,
  loadConfig,
  renderSettingsMarkdown,
  type SettingSpec,
  type Settings,
  setting,
} from './config';
export { etcdStep, registrationStep } from './etcd-steps';
export {
  type GrpcServerOptions,
  handlersWithUnimplemented,
  type RunningGrpcServer,
  type ServiceBinding,
  startGrpcServer,
} from './grpc-server';
export { grpcServerSteps } from './grpc-steps';
export { type Step, startSteps } from './lifecycle';
export { createLogger, type Logger } from './logger';
export { type CommonMetrics, createCommonMetrics, etcdMetricsInterceptor, LATENCY_BUCKETS } from './metrics';
export {
  type CommonSettings,
  runService,
  type ServiceContext,
  type ServiceSpec,
  type ServiceTelemetry,
} from './run-service';
export {
  type ClientAuth,
  createServerCredentials,
  type ServerTlsOptions,
  watchServerTls,
} from './tls/server-credentials';
export { type ServiceTransport, tlsSettings, transportFromConfig } from './tls/tls-settings';
