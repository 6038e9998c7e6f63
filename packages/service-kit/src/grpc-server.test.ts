import * as grpc from '@grpc/grpc-js';
import { ERROR_CODE_TRAILER } from '@tributary/errors';
import { handlersWithUnimplemented } from './grpc-server';

const definition = {
  Echo: { path: '/t.S/Echo', requestStream: false, responseStream: false },
  Watch: { path: '/t.S/Watch', requestStream: false, responseStream: true },
} as unknown as grpc.ServiceDefinition;

describe('handlersWithUnimplemented', () => {
  it('answers UNIMPLEMENTED naming the method, and keeps the handlers given', () => {
    const echo = jest.fn();
    const handlers = handlersWithUnimplemented('S', definition, { Echo: echo });
    expect(handlers['Echo']).toBe(echo);
    const emitted: Partial<grpc.ServiceError>[] = [];
    (handlers['Watch'] as (call: { emit(event: string, e: Partial<grpc.ServiceError>): void }) => void)({
      emit: (_event, e) => emitted.push(e),
    });
    expect(emitted[0]!.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(emitted[0]!.details).toBe(
      'S.Watch has no handler on this server (its contract is newer than its build)',
    );
    expect(emitted[0]!.metadata!.get(ERROR_CODE_TRAILER)).toEqual(['1001']);
  });
});
