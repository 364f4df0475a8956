import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  UploadPartCopyCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  type ChecksumAlgorithm,
  type ServerSideEncryption,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { StorageConfig } from '../config/types.js';
import { type ByteRange, StorageError, type PutOptions, type Storage } from './storage.js';

const MiB = 1024 * 1024;

/**
 * Part size that keeps any object under the 10 000-part limit: at least 16 MiB (or
 * PARTWARDEN_S3_MIN_PART_MB; a caller's `minPartMiB` only ever lowers that; never below S3's
 * 5 MiB), or the size hint spread over 9 000 parts (a margin for a hint that is too low). Memory
 * per upload is about partSize x (queueSize + 1).
 */
export function partSizeFor(sizeHint: number | undefined, minPartMiB?: number): number {
  const env = Number(process.env.PARTWARDEN_S3_MIN_PART_MB ?? 16);
  const base = Number.isFinite(env) ? env : 16;
  const floor = Math.max(5, minPartMiB === undefined ? base : Math.min(minPartMiB, base)) * MiB; // S3's minimum part is 5 MiB
  return Math.max(floor, Math.ceil((sizeHint ?? 0) / 9000));
}

/** The store does not offer this request (some S3-compatible servers lack parts of the API). */
const notImplemented = (err: unknown): boolean => errorName(err) === 'NotImplemented' || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 501;

/** Bytes per server-side copy request: CopyObject takes up to 5 GiB, larger objects go in parts of this size (PARTWARDEN_S3_COPY_PART_MB, for tests). */
const copyPartSize = (): number => Number(process.env.PARTWARDEN_S3_COPY_PART_MB ?? 5120) * MiB;

/**
 * What failed, in words an operator can act on: the S3 error code, or the network cause under
 * the SDK's generic error (ECONNRESET, ETIMEDOUT, ENOTFOUND, socket hang up...), and the HTTP status.
 */
export function describeS3Error(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  const e = err as { name?: string; Code?: string; code?: string; message?: string; cause?: { code?: string; message?: string }; $metadata?: { httpStatusCode?: number } };
  const name = e.Code ?? (e.name && e.name !== 'Error' ? e.name : undefined);
  const network = e.code ?? e.cause?.code;
  const parts = [name, network, e.$metadata?.httpStatusCode ? `HTTP ${e.$metadata.httpStatusCode}` : undefined].filter(Boolean);
  const message = e.message && e.message !== name && e.message !== 'UnknownError' ? e.message : e.cause?.message;
  return `${parts.length > 0 ? parts.join(', ') : 'Error'}${message ? `: ${message}` : ''}`;
}

function errorName(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
    return e.Code ?? e.name ?? `HTTP ${e.$metadata?.httpStatusCode ?? '?'}`;
  }
  return String(err);
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

/**
 * S3-compatible storage through AWS SDK v3, configured for broad compatibility (MinIO, Ceph RGW,
 * R2, B2...): explicit endpoint and path style, checksums only where the API requires them
 * (aws-sdk-js-v3#6810: SDK >= 3.729 default checksums break many stores) — partwarden computes
 * its own sha256 end to end. Credentials come from the SDK default chain.
 */
export class S3Storage implements Storage {
  readonly location: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #cfg: StorageConfig;

  constructor(cfg: StorageConfig) {
    // the SDK's notice about Node.js version support is noise in our logs (partwarden supports 22 and 24)
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const u = new URL(cfg.url);
    this.#bucket = u.hostname;
    this.#prefix = u.pathname.replace(/^\/+/, '').replace(/\/*$/, '');
    this.#cfg = cfg;
    this.location = `s3://${this.#bucket}/${this.#prefix}`;
    this.#client = new S3Client({
      region: cfg.region || 'us-east-1',
      endpoint: cfg.endpoint || undefined,
      forcePathStyle: cfg.forcePathStyle ?? false,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      retryMode: 'standard',
      maxAttempts: 5,
      requestHandler: {
        connectionTimeout: 10_000,
        requestTimeout: 120_000,
        throwOnRequestTimeout: true, // a request silent for 2 minutes fails (and is retried) instead of hanging
        httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 16 }),
        httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 16 }),
      },
    });
  }

  /** Encryption and storage class of every object written (uploads and copies alike). */
  #writeParams() {
    return {
      ...(this.#cfg.sse ? { ServerSideEncryption: this.#cfg.sse as ServerSideEncryption } : {}),
      ...(this.#cfg.kmsKeyId ? { SSEKMSKeyId: this.#cfg.kmsKeyId } : {}),
      ...(this.#cfg.storageClass ? { StorageClass: this.#cfg.storageClass as StorageClass } : {}),
    };
  }

  #key(key: string): string {
    return this.#prefix ? `${this.#prefix}/${key}` : key;
  }

  async probe(): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
      await this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: this.#key(''), MaxKeys: 1 }));
    } catch (err) {
      const name = errorName(err);
      const hint =
        name === 'NotFound' || name === 'NoSuchBucket'
          ? `bucket "${this.#bucket}" does not exist at ${this.#cfg.endpoint || 'AWS'} (check storage.url, storage.endpoint and storage.forcePathStyle)`
          : name === 'Forbidden' || name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch'
            ? `access denied to bucket "${this.#bucket}" (check the credentials in the AWS SDK chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity)`
            : `cannot reach ${this.#cfg.endpoint || 'AWS S3'} (${name}: ${(err as Error).message})`;
      throw new StorageError('', `storage ${this.location}: ${hint}`, { cause: err });
    }
  }

  async head(key: string): Promise<{ size: number } | undefined> {
    try {
      const r = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#key(key) }));
      return { size: r.ContentLength ?? 0 };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new StorageError(key, `HEAD ${key} in ${this.location} failed: ${describeS3Error(err)}`, { cause: err });
    }
  }

  async put(key: string, body: Readable, opts: PutOptions): Promise<'created' | 'exists'> {
    // Never overwrite: conditional writes are not honoured by every S3-compatible store, so
    // check first; the manifest (written last) is what makes an archive count.
    if (!opts.replace && (await this.head(key))) {
      body.destroy();
      return 'exists';
    }
    const upload = new Upload({
      client: this.#client,
      queueSize: opts.queueSize ?? 3,
      partSize: partSizeFor(opts.sizeHint, opts.minPartMiB),
      leavePartsOnError: false, // abort the multipart upload on any failure
      params: {
        Bucket: this.#bucket,
        Key: this.#key(key),
        Body: body,
        ContentType: opts.contentType,
        ...this.#writeParams(),
        ...(this.#cfg.checksumAlgorithm ? { ChecksumAlgorithm: this.#cfg.checksumAlgorithm as ChecksumAlgorithm } : {}),
      },
    });
    const onAbort = () => void upload.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await upload.done();
      return 'created';
    } catch (err) {
      body.destroy();
      throw new StorageError(key, `upload of ${key} to ${this.location} failed: ${describeS3Error(err)}`, { cause: err });
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    try {
      const r = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#key(key), ...(range ? { Range: `bytes=${range.start}-${range.end - 1}` } : {}) }));
      return r.Body as Readable;
    } catch (err) {
      throw new StorageError(key, `GET ${key} from ${this.location} failed: ${describeS3Error(err)}`, { cause: err });
    }
  }

  async copy(from: string, to: string, size: number): Promise<void> {
    const source = `${this.#bucket}/${this.#key(from).split('/').map(encodeURIComponent).join('/')}`;
    const target = { Bucket: this.#bucket, Key: this.#key(to), ...this.#writeParams() };
    try {
      if (size <= copyPartSize()) await this.#client.send(new CopyObjectCommand({ ...target, CopySource: source, MetadataDirective: 'COPY' }));
      else await this.#multipartCopy(source, target, size);
    } catch (err) {
      if (!notImplemented(err)) throw new StorageError(to, `copying ${from} to ${to} in ${this.location} failed: ${describeS3Error(err)}`, { cause: err });
      // a store without server-side copy (s3rver has no UploadPartCopy): the bytes pass through here, streamed
      await this.put(to, await this.get(from), { contentType: 'application/octet-stream', sizeHint: size, replace: true });
    }
  }

  /** Objects over 5 GiB (CopyObject's limit): UploadPartCopy of byte ranges, aborted on any failure. */
  async #multipartCopy(source: string, target: { Bucket: string; Key: string }, size: number): Promise<void> {
    const { UploadId } = await this.#client.send(new CreateMultipartUploadCommand(target));
    try {
      const parts: Array<{ ETag: string; PartNumber: number }> = [];
      const step = copyPartSize();
      for (let start = 0, n = 1; start < size; start += step, n++) {
        const end = Math.min(size, start + step) - 1;
        const r = await this.#client.send(new UploadPartCopyCommand({ Bucket: target.Bucket, Key: target.Key, UploadId, PartNumber: n, CopySource: source, CopySourceRange: `bytes=${start}-${end}` }));
        parts.push({ ETag: r.CopyPartResult!.ETag!, PartNumber: n });
      }
      await this.#client.send(new CompleteMultipartUploadCommand({ Bucket: target.Bucket, Key: target.Key, UploadId, MultipartUpload: { Parts: parts } }));
    } catch (err) {
      await this.#client.send(new AbortMultipartUploadCommand({ Bucket: target.Bucket, Key: target.Key, UploadId })).catch(() => undefined);
      throw err;
    }
  }

  async remove(key: string): Promise<void> {
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#key(key) }));
    } catch (err) {
      throw new StorageError(key, `DELETE ${key} in ${this.location} failed: ${describeS3Error(err)}`, { cause: err });
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    let token: string | undefined;
    const full = this.#key(prefix);
    do {
      const r = await this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: full, ContinuationToken: token }));
      for (const o of r.Contents ?? []) if (o.Key) yield this.#prefix ? o.Key.slice(this.#prefix.length + 1) : o.Key;
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  async abortStaleUploads(prefix: string, olderThanMs: number): Promise<number> {
    let aborted = 0;
    let r;
    try {
      r = await this.#client.send(new ListMultipartUploadsCommand({ Bucket: this.#bucket, Prefix: this.#key(prefix) }));
    } catch (err) {
      // some S3-compatible stores cannot list uploads: rely on the bucket's lifecycle rule there
      if (notImplemented(err)) return 0;
      throw new StorageError(prefix, `listing multipart uploads under ${prefix} failed: ${describeS3Error(err)}`, { cause: err });
    }
    for (const u of r.Uploads ?? []) {
      if (!u.Key || !u.UploadId) continue;
      if (u.Initiated && Date.now() - u.Initiated.getTime() < olderThanMs) continue;
      try {
        await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: u.Key, UploadId: u.UploadId }));
        aborted++;
      } catch (err) {
        // aborted meanwhile (by the attempt that started it, or another replica): what we wanted
        if (errorName(err) !== 'NoSuchUpload') throw new StorageError(prefix, `aborting the multipart upload of ${u.Key} failed: ${describeS3Error(err)}`, { cause: err });
      }
    }
    return aborted;
  }
}
