import { createReadStream, createWriteStream } from 'node:fs';
import { access, constants, link, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { Rechunk } from './rechunk.js';
import { type ByteRange, StorageError, type PutOptions, type Storage } from './storage.js';

/**
 * Archives on a mounted volume (PVC, NFS). Objects are written to a temporary file, fsynced,
 * then hard-linked into place: link() fails if the name exists, so nothing is ever overwritten
 * and a reader never sees a half-written object.
 */
export class FileStorage implements Storage {
  readonly location: string;
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
    this.location = `file://${root}`;
  }

  #path(key: string): string {
    const p = path.join(this.#root, ...key.split('/'));
    if (!p.startsWith(this.#root)) throw new StorageError(key, 'key escapes the storage root');
    return p;
  }

  async probe(): Promise<void> {
    try {
      await mkdir(this.#root, { recursive: true });
      await access(this.#root, constants.W_OK | constants.R_OK);
    } catch (err) {
      throw new StorageError('', `storage ${this.location} is not a writable directory: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Only "no such file" means absent. Any other failure (EACCES, EIO, a stale NFS handle) fails
   * the caller: it must never read as "the object does not exist, write a new one".
   */
  async head(key: string): Promise<{ size: number } | undefined> {
    try {
      const s = await stat(this.#path(key));
      return s.isFile() ? { size: s.size } : undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw new StorageError(key, `cannot read ${key} in ${this.location}: ${code ?? (err as Error).message}`, { cause: err });
    }
  }

  async put(key: string, body: Readable, opts: Pick<PutOptions, 'signal' | 'replace'>): Promise<'created' | 'exists'> {
    const target = this.#path(key);
    if (!opts.replace && (await this.head(key))) {
      body.destroy();
      return 'exists';
    }
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = path.join(path.dirname(target), `.tmp-${randomUUID()}`);
    try {
      const out = createWriteStream(tmp, { flags: 'wx' });
      await pipeline(body, new Rechunk(), out, { signal: opts.signal });
      const fh = await open(tmp, 'r');
      await fh.sync();
      await fh.close();
      if (opts.replace) {
        await rename(tmp, target); // atomic: a reader sees the old object or the new one
        return 'created';
      }
      try {
        await link(tmp, target);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
        throw err;
      }
      return 'created';
    } catch (err) {
      throw new StorageError(key, `writing ${key} to ${this.location} failed: ${(err as Error).message}`, { cause: err });
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async copy(from: string, to: string): Promise<void> {
    await this.put(to, await this.get(from), { replace: true });
  }

  async remove(key: string): Promise<void> {
    try {
      await rm(this.#path(key), { force: true });
    } catch (err) {
      throw new StorageError(key, `removing ${key} from ${this.location} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const p = this.#path(key);
    if (!(await this.head(key))) throw new StorageError(key, `${key} does not exist in ${this.location}`);
    return range ? createReadStream(p, { start: range.start, end: range.end - 1 }) : createReadStream(p);
  }

  async *list(prefix: string): AsyncIterable<string> {
    const walk = async function* (dir: string, rel: string): AsyncIterable<string> {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        if (e.name.startsWith('.tmp-')) continue;
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) yield* walk(path.join(dir, e.name), r);
        else yield r;
      }
    };
    const base = prefix.replace(/\/$/, '');
    for await (const k of walk(base ? this.#path(base) : this.#root, base)) yield k;
  }

  /**
   * Removes temporary files a killed process left next to `prefix`, and below it when it is a
   * folder (`a/b/`), as S3 lists multipart uploads by prefix (put() removes its own otherwise).
   */
  async abortStaleUploads(prefix: string, olderThanMs: number): Promise<number> {
    const dir = prefix.endsWith('/') ? this.#path(prefix.slice(0, -1)) : path.dirname(this.#path(prefix));
    let removed = 0;
    let names: string[];
    try {
      names = (await readdir(dir, { recursive: prefix.endsWith('/') && prefix !== '' })).map(String);
    } catch {
      return 0;
    }
    for (const n of names.filter((x) => path.basename(x).startsWith('.tmp-'))) {
      const p = path.join(dir, n);
      const s = await stat(p).catch(() => undefined);
      if (s && Date.now() - s.mtimeMs >= olderThanMs) {
        await rm(p, { force: true });
        removed++;
      }
    }
    return removed;
  }
}
