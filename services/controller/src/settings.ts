import { setting } from '@tributary/service-kit';

/** The controller's own settings (the common ones are added by the service kit). */
export const controllerSettings = {
  'controller.id': setting.string({
    doc: 'Unique id of this controller replica (defaults to the host name).',
    default: '',
  }),
  port: setting.port({ doc: 'gRPC port of the ControllerService.', default: 9190 }),
};
