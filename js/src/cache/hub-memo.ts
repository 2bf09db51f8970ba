// What hf: names resolved to, kept beside the IndexedDB model cache (a database of its own, so the
// cache's schema stays as it is): with cache 'only', or when the hub cannot be reached, a name whose
// files are all cached loads from them without the hub's API.
import type { HubMemo, HubResolution } from '../hub.js';
import { cache } from './index.js';
import { idbAvailable, request } from './idb.js';

const DB_NAME = 'wasm-chord-hub';
const STORE = 'resolutions'; // records { key, urls, file, revision } keyed by key

let dbPromise: Promise<IDBDatabase> | undefined;

function openMemoDb(): Promise<IDBDatabase> {
  dbPromise ??= new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'key' });
    req.onsuccess = () => {
      const db = req.result;
      db.onversionchange = () => {
        db.close();
        dbPromise = undefined;
      };
      resolve(db);
    };
    req.onerror = () => {
      dbPromise = undefined;
      reject(req.error);
    };
  });
  return dbPromise;
}

/** The memo for the IndexedDB cache, or undefined where IndexedDB is missing. */
export function idbHubMemo(): HubMemo | undefined {
  if (!idbAvailable()) return undefined;
  return {
    async rememberHub(key: string, r: HubResolution) {
      const db = await openMemoDb();
      await request(db.transaction(STORE, 'readwrite').objectStore(STORE).put({ key, urls: r.urls, file: r.file, revision: r.revision }));
    },
    async recallHub(key: string) {
      const db = await openMemoDb();
      const r = (await request(db.transaction(STORE, 'readonly').objectStore(STORE).get(key))) as
        (HubResolution & { key: string }) | undefined;
      if (!r || !Array.isArray(r.urls)) return undefined;
      for (const u of r.urls) if (!(await cache.has(u))) return undefined;
      return { urls: r.urls, file: r.file, revision: r.revision };
    },
  };
}
