/** The demo's S3 server: s3rver (a devDependency) on loopback, objects under .partwarden-demo/s3. */
import { mkdirSync } from 'node:fs';
import { freePort } from '../dev/embedded-pg.js';

export const S3_ENV = 'AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER';

interface S3rverInstance {
  run(): Promise<unknown>;
  close(): Promise<unknown>;
}
type S3rverCtor = new (options: Record<string, unknown>) => S3rverInstance;

export async function startDemoS3(directory: string): Promise<{ endpoint: string; bucket: string; stop(): Promise<void> }> {
  mkdirSync(directory, { recursive: true });
  const { default: S3rver } = (await import('s3rver')) as unknown as { default: S3rverCtor };
  const port = await freePort();
  const bucket = 'partwarden-archive';
  const server = new S3rver({ port, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
  await server.run();
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    stop: async () => {
      await server.close();
    },
  };
}
