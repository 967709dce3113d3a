import type { StorageSettings } from '../config.js';
import { LocalObjectStore } from './local-store.js';
import type { ObjectStore } from './object-store.js';

/** The configured lake: S3 when S3_BUCKET_NAME is set (SDK loaded only then), else the local DATA_DIR. */
export async function openObjectStore(storage: StorageSettings): Promise<ObjectStore> {
  if (storage.bucket) {
    const { S3ObjectStore } = await import('./s3-store.js');
    return S3ObjectStore.open(storage);
  }
  return new LocalObjectStore(storage.dataDir);
}
