import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import type { Readable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from '../../src/dev/embedded-pg.js';

export interface TestS3 {
  readonly endpoint: string;
  readonly bucket: string;
  /** Whether the server lists and aborts multipart uploads (MinIO yes, s3rver no). */
  readonly listsUploads: boolean;
  getText(key: string): Promise<string>;
  getBytes(key: string): Promise<Buffer>;
  /** Open multipart uploads; MinIO lists them only for an exact object key. */
  openUploads(key: string): Promise<number>;
  /** Every key under `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  client(): S3Client;
}

/**
 * A real S3 protocol server for the calling test file: s3rver on loopback by default, or the
 * server at PW_S3_ENDPOINT (the MinIO conformance job), with a fresh bucket either way.
 */
export function useS3(): TestS3 {
  const external = process.env.PW_S3_ENDPOINT;
  const state = { endpoint: '', bucket: `archive-${Math.random().toString(36).slice(2, 10)}`, dir: '' };
  let server: S3rver | undefined;
  let client: S3Client | undefined;
  beforeAll(async () => {
    if (external) {
      state.endpoint = external;
    } else {
      const port = await freePort();
      state.dir = mkdtempSync(path.join(os.tmpdir(), 'pw-s3-'));
      server = new S3rver({ port, address: '127.0.0.1', silent: !process.env.S3RVER_LOG, directory: state.dir, configureBuckets: [] });
      await server.run();
      state.endpoint = `http://127.0.0.1:${port}`;
      process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
      process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    }
    process.env.AWS_REGION ??= 'us-east-1';
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    client = new S3Client({ endpoint: state.endpoint, region: 'us-east-1', forcePathStyle: true });
    await client.send(new CreateBucketCommand({ Bucket: state.bucket }));
  });
  afterAll(async () => {
    client?.destroy();
    await server?.close();
    if (state.dir) rmSync(state.dir, { recursive: true, force: true });
  });
  const getBytes = async (key: string) => {
    const r = await client!.send(new GetObjectCommand({ Bucket: state.bucket, Key: key }));
    const chunks: Buffer[] = [];
    for await (const c of r.Body as Readable) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };
  return {
    get endpoint() {
      return state.endpoint;
    },
    get bucket() {
      return state.bucket;
    },
    listsUploads: Boolean(external),
    getBytes,
    getText: async (key) => {
      const r = await client!.send(new GetObjectCommand({ Bucket: state.bucket, Key: key }));
      return text(r.Body as Readable);
    },
    openUploads: async (prefix) => (await client!.send(new ListMultipartUploadsCommand({ Bucket: state.bucket, Prefix: prefix }))).Uploads?.length ?? 0,
    list: async (prefix) => {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const r = await client!.send(new ListObjectsV2Command({ Bucket: state.bucket, Prefix: prefix, ContinuationToken: token }));
        keys.push(...(r.Contents ?? []).map((o) => o.Key!));
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    client: () => client!,
  };
}

export function s3StorageConfig(s3: TestS3, prefix = 'prod', endpoint = s3.endpoint): string {
  return `storage:\n  url: s3://${s3.bucket}/${prefix}\n  endpoint: ${endpoint}\n  region: us-east-1\n  forcePathStyle: true\n`;
}
