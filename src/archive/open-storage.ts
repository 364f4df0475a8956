import { fileURLToPath } from 'node:url';
import type { StorageConfig } from '../config/types.js';
import { FileStorage } from './file-storage.js';
import { S3Storage } from './s3-storage.js';
import type { Storage } from './storage.js';

/** The storage backend for `storage.url`: s3://bucket/prefix or file:///absolute/path. */
export function openStorage(cfg: StorageConfig): Storage {
  if (cfg.url.startsWith('file://')) return new FileStorage(fileURLToPath(cfg.url));
  return new S3Storage(cfg);
}
