import { mkdirSync, mkdtempSync, symlinkSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FileStorage } from '../../src/archive/file-storage.js';

describe('file storage: only "no such file" means absent', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pw-fs-'));
  const storage = new FileStorage(root);

  it('a missing object (or a missing folder) is absent', async () => {
    expect(await storage.head('db/s/t/p/manifest.json')).toBeUndefined();
  });

  it('an object that cannot be read fails the caller instead of reading as absent, and nothing is written over it', async () => {
    // a symlink loop: stat() fails with ELOOP (root ignores EACCES, so this stands for EACCES/EIO)
    mkdirSync(path.join(root, 'db/s/t/p'), { recursive: true });
    const key = 'db/s/t/p/manifest.json';
    symlinkSync(path.join(root, key), path.join(root, key));
    await expect(storage.head(key)).rejects.toThrow(/cannot read db\/s\/t\/p\/manifest\.json in file:\/\/.*: ELOOP/);
    await expect(storage.put(key, Readable.from([Buffer.from('{}')]), {})).rejects.toThrow(/ELOOP/);
    expect(existsSync(path.join(root, 'db/s/t/p/.tmp-'))).toBe(false);
  });
});
