import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { S3Storage } from '../../src/archive/s3-storage.js';

describe('S3 errors say what failed', () => {
  it('a connection cut mid-request names the network cause, not just "Error"', async () => {
    // a loopback server that accepts and resets every connection
    const server = net.createServer((s) => s.resetAndDestroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    process.env.AWS_ACCESS_KEY_ID ??= 'test';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
    const storage = new S3Storage({ url: 's3://bucket/prefix', endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true });
    try {
      await expect(storage.head('a/manifest.json')).rejects.toThrow(/^HEAD a\/manifest\.json in s3:\/\/bucket\/prefix failed: .*(ECONNRESET|socket hang up)/);
    } finally {
      server.close();
    }
  }, 30_000);
});
