import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from '../../src/dev/embedded-pg.js';

export interface TestS3 {
  readonly endpoint: string;
  readonly bucket: string;
  readonly dir: string;
}

/** A real S3 protocol server (s3rver) on loopback for the calling test file, with one bucket. */
export function useS3(bucket = 'archive'): TestS3 {
  const handle = { bucket } as { endpoint: string; bucket: string; dir: string };
  let server: S3rver | undefined;
  beforeAll(async () => {
    const port = await freePort();
    handle.dir = mkdtempSync(path.join(os.tmpdir(), 'pw-s3-'));
    server = new S3rver({ port, address: '127.0.0.1', silent: !process.env.S3RVER_LOG, directory: handle.dir, configureBuckets: [{ name: bucket, configs: [] }] });
    await server.run();
    handle.endpoint = `http://127.0.0.1:${port}`;
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    process.env.AWS_REGION = 'us-east-1';
  });
  afterAll(async () => {
    await server?.close();
    rmSync(handle.dir, { recursive: true, force: true });
  });
  return handle;
}

export function s3StorageConfig(s3: TestS3, prefix = 'prod'): string {
  return `storage:\n  url: s3://${s3.bucket}/${prefix}\n  endpoint: ${s3.endpoint}\n  region: us-east-1\n  forcePathStyle: true\n`;
}
