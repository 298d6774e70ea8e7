/**
 * Starts the Qdrant emulator from the command line, for manual use and benchmarks:
 *   node test/qdrant-emulator/main.ts [--port 6333] [--api-key KEY] [--version 1.19.0] [--double-floats]
 * (`--double-floats`: vectors printed as the shortest doubles of the widened values, for
 * benchmarks; see json.ts)
 * Prints the URL and runs until interrupted.
 */
import { parseArgs } from 'node:util';
import { startQdrantEmulator } from './index.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '6333' },
    'api-key': { type: 'string' },
    version: { type: 'string' },
    'double-floats': { type: 'boolean', default: false },
  },
});

const emulator = await startQdrantEmulator({
  port: Number(values.port),
  apiKey: values['api-key'],
  version: values.version,
  floatFormat: values['double-floats'] ? 'double' : 'float32',
});
process.stdout.write(`${emulator.url}\n`);
const stop = (): void => {
  void emulator.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
