/**
 * Every command that takes a location honours --s3-endpoint, --s3-region and --s3-path-style,
 * with no S3 endpoint in the environment: export, inspect, verify, ls, prune (import opens its input the same way as verify).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMinio, type Minio } from '../helpers/minio.ts';
import { runCli } from '../helpers/run-cli.ts';

let minio: Minio;
let bucket: string;
let env: NodeJS.ProcessEnv;
let flags: string[];

beforeAll(async () => {
  minio = await startMinio();
  bucket = await minio.bucket('flags');
  // Credentials only: the endpoint and region must come from the flags.
  env = { AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey, AWS_ENDPOINT_URL_S3: '', AWS_ENDPOINT_URL: '', AWS_REGION: '', AWS_DEFAULT_REGION: '', AWS_EC2_METADATA_DISABLED: 'true' };
  flags = ['--s3-endpoint', minio.endpoint, '--s3-region', minio.region, '--s3-path-style'];
});

afterAll(async () => {
  await minio?.stop();
});

const json = (out: Buffer) => JSON.parse(out.toString()) as Record<string, any>;

describe('S3 flags on every command that takes a location', () => {
  it('export, inspect, verify, ls and prune all reach the endpoint the flags name', async () => {
    const url = `s3://${bucket}/b/one.memarc`;
    const exp = await runCli(['--json', 'export', '--synthetic', '50', '--dim', '8', '-o', url, ...flags], { env });
    expect(exp.code, exp.stderr).toBe(0);
    const digest = (json(exp.stdout).datasets as Array<{ digest: string }>)[0]!.digest;

    const ins = await runCli(['--json', 'inspect', url, ...flags], { env });
    expect(ins.code, ins.stderr).toBe(0);
    expect(json(ins.stdout).trailer.datasets[0].digest).toBe(digest);

    const ver = await runCli(['--json', 'verify', url, ...flags], { env });
    expect(ver.code, ver.stderr).toBe(0);
    expect(json(ver.stdout).datasets[0].digest).toBe(digest);

    const ls = await runCli(['--json', 'ls', `s3://${bucket}/b/`, ...flags], { env });
    expect(ls.code, ls.stderr).toBe(0);
    expect((json(ls.stdout).archives as Array<{ name: string; complete: boolean }>).map((a) => [a.name, a.complete])).toEqual([['one.memarc', true]]);

    const prune = await runCli(['--json', 'prune', `s3://${bucket}/b/`, '--keep', '1', '--dry-run', ...flags], { env });
    expect(prune.code, prune.stderr).toBe(0);
    expect(json(prune.stdout).kept).toHaveLength(1);
  });
});
