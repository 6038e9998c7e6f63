import { ErrorCode } from './error-table';
import { toItemError, toTributaryError } from './item-error';
import { NotLeaderError, TributaryError } from './tributary-error';

describe('toItemError', () => {
  it('keeps the code and message of a TributaryError', () => {
    expect(toItemError(new NotLeaderError('not me'))).toEqual({
      errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER,
      errorMessage: 'not me',
    });
  });

  it('names anything else UNKNOWN_SERVER_ERROR unless told otherwise, keeping its message', () => {
    expect(toItemError(new Error('disk on fire'))).toEqual({
      errorCode: ErrorCode.UNKNOWN_SERVER_ERROR,
      errorMessage: 'disk on fire',
    });
    expect(toItemError('EIO', 'STORAGE_ERROR')).toEqual({
      errorCode: ErrorCode.STORAGE_ERROR,
      errorMessage: 'EIO',
    });
  });
});

describe('toTributaryError', () => {
  it('returns a TributaryError as is and wraps anything else with its cause', () => {
    const known = new TributaryError('REQUEST_TIMED_OUT');
    expect(toTributaryError(known)).toBe(known);
    const cause = new RangeError('bad');
    const wrapped = toTributaryError(cause, 'STORAGE_ERROR');
    expect(wrapped.errorName).toBe('STORAGE_ERROR');
    expect(wrapped.cause).toBe(cause);
  });
});
