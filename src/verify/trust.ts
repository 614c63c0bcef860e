import type { OpenedArchive } from '../archive/open.ts';
import { loadArchiveKeys, TrustStore, type KeyMaterial } from './crypto/keys.ts';
import type { VerifyOptions } from './types.ts';

const stores = new WeakMap<VerifyOptions, TrustStore>();

/** The investigator's trust, loaded once per run from --trust, --trust-fingerprint and --trust-tsa. */
export function trustStoreFor(options: VerifyOptions): TrustStore {
  let store = stores.get(options);
  if (!store) {
    store = TrustStore.load({
      pins: [...(options.trustKeys ?? []), ...(options.trustFingerprints ?? [])],
      tsaAnchors: options.trustTsa ?? [],
    });
    stores.set(options, store);
  }
  return store;
}

/** Keys and certificates the archive offers in keys/: candidates only, never trusted by being there. */
export function archiveKeys(archive: OpenedArchive): { keys: KeyMaterial[]; warnings: string[] } {
  return loadArchiveKeys(
    archive.files.filter((f) => f.role === 'key').map((f) => ({ path: f.path, absPath: f.absPath })),
  );
}
