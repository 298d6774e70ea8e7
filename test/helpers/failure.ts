import { isMemarcError, type MemarcError } from '../../src/errors.ts';

/** The MemarcError a promise rejects with; any other outcome fails the test. */
export async function failure(p: Promise<unknown>): Promise<MemarcError> {
  try {
    await p;
  } catch (err) {
    if (isMemarcError(err)) return err;
    throw err;
  }
  throw new Error('expected a failure');
}
