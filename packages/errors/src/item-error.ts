/**
 * The per-item error of a batched response (a partition of a Produce or Fetch, a topic of a
 * CreateTopics): `{ errorCode, errorMessage }` beside the item's other fields, as Kafka answers
 * per partition. Whole-request failures go through `toGrpcError` instead.
 */
import type { ErrorName } from './error-table';
import { TributaryError } from './tributary-error';

/** The error fields of one item of a response. */
export interface ItemError<Code extends number = number> {
  readonly errorCode: Code;
  readonly errorMessage: string;
}

/**
 * `err` as a TributaryError: itself when it is one, else a new error named `unexpected` whose
 * message is the thrown value's and whose cause is the thrown value.
 */
export function toTributaryError(
  err: unknown,
  unexpected: ErrorName = 'UNKNOWN_SERVER_ERROR',
): TributaryError {
  if (err instanceof TributaryError) return err;
  return new TributaryError(unexpected, err instanceof Error ? err.message : String(err), { cause: err });
}

/**
 * The item error for a thrown value. A TributaryError keeps its code and message; anything else
 * becomes `unexpected` (UNKNOWN_SERVER_ERROR by default; the broker's storage paths pass
 * STORAGE_ERROR, since what throws there unannounced is the file system). `Code` lets a caller
 * type the code as its generated proto enum (the numbers are the same).
 */
export function toItemError<Code extends number = number>(
  err: unknown,
  unexpected: ErrorName = 'UNKNOWN_SERVER_ERROR',
): ItemError<Code> {
  const e = toTributaryError(err, unexpected);
  return { errorCode: e.code as Code, errorMessage: e.message };
}
