/**
 * Child process for the SIGINT test: uploads an endless slow stream to S3 through the transport
 * and, on SIGINT, calls abort() and exits 130, the way the CLI does. Configuration comes from the
 * standard AWS environment variables (AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, …) and
 * MEMARC_TEST_TARGET (s3://bucket/key).
 */
import { pipeline } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { openOutput } from '../../src/transport/index.ts';

const target = process.env.MEMARC_TEST_TARGET;
if (!target) throw new Error('MEMARC_TEST_TARGET is not set');

const out = await openOutput(target, { s3: { partSize: 5 * 1024 * 1024, queueSize: 2 } });
let interrupted = false;
process.once('SIGINT', () => {
  interrupted = true;
  out.abort().then(
    () => process.exit(130),
    (err: unknown) => {
      process.stderr.write(`abort failed: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
});

async function* slowSource(): AsyncGenerator<Buffer> {
  // 11 MiB at once (two full parts start uploading), then a trickle that never ends.
  for (let i = 0; i < 11; i++) yield Buffer.alloc(1024 * 1024, i);
  process.stdout.write('streaming\n');
  for (;;) {
    await delay(50);
    yield Buffer.alloc(64 * 1024, 1);
  }
}

try {
  await pipeline(slowSource(), out.stream);
  await out.commit();
} catch (err) {
  if (!interrupted) {
    process.stderr.write(`upload failed: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
