/**
 * Child process for the killed-writer test: writes an endless stream to a local archive path
 * through the transport and prints "writing" once bytes are on disk. The parent SIGKILLs it.
 */
import { pipeline } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { openOutput } from '../../src/transport/index.ts';

const target = process.argv[2];
if (!target) throw new Error('usage: file-writer-child.ts PATH');
const out = await openOutput(target);

async function* endless(): AsyncGenerator<Buffer> {
  for (let i = 0; ; i++) {
    yield Buffer.alloc(256 * 1024, i);
    if (i === 4) process.stdout.write('writing\n');
    await delay(10);
  }
}

await pipeline(endless(), out.stream);
await out.commit();
