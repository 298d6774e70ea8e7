/**
 * Child process for the broken-pipe test: writes a large archive-sized stream to standard output
 * through the transport. When the reader goes away it must fail with BROKEN_PIPE and exit 141,
 * printing the error code to stderr, never crash with an unhandled 'error'.
 */
import { pipeline } from 'node:stream/promises';
import { openOutput } from '../../src/transport/index.ts';
import { exitCodeOf, isMemarcError } from '../../src/errors.ts';

async function* big(): AsyncGenerator<Buffer> {
  for (let i = 0; i < 4096; i++) yield Buffer.alloc(64 * 1024, i);
}

const out = await openOutput('-');
try {
  await pipeline(big(), out.stream);
  await out.commit();
  process.stderr.write('completed\n');
} catch (err) {
  await out.abort(err);
  process.stderr.write(`${isMemarcError(err) ? err.code : 'UNEXPECTED'}: ${(err as Error).message}\n`);
  process.exitCode = exitCodeOf(err);
}
