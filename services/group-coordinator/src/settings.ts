import { setting } from '@tributary/service-kit';

/** The group coordinator's own settings (the common ones are added by the service kit). */
export const coordinatorSettings = {
  'coordinator.id': setting.string({
    doc: 'Unique id of this coordinator replica (defaults to the host name).',
    default: '',
  }),
  port: setting.port({ doc: 'gRPC port of the GroupCoordinatorService.', default: 9290 }),
};
