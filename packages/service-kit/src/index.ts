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
export {
  type GrpcServerOptions,
  handlersWithUnimplemented,
  type RunningGrpcServer,
  type ServiceBinding,
  startGrpcServer,
} from './grpc-server';
export { type Step, startSteps } from './lifecycle';
export { createLogger, type Logger } from './logger';
export { type CommonSettings, runService, type ServiceContext, type ServiceSpec } from './run-service';
