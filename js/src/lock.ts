// A first-in first-out lock: one holder at a time, the others wait in arrival order. A waiter whose
// signal aborts leaves the line without ever holding the lock. Used wherever generations share one
// KV cache: the Model, the worker side of a Worker, and the HTTP server's request queue.
import { abortErrorFrom } from './errors.js';

interface Waiter {
  grant(release: () => void): void;
  reject(e: unknown): void;
}

export class FifoLock {
  private held = false;
  private readonly waiting: Waiter[] = [];

  /** Callers waiting for their turn (not counting the holder). */
  get pending(): number {
    return this.waiting.length;
  }

  /** Whether someone holds the lock. */
  get running(): boolean {
    return this.held;
  }

  /** Resolves with a release function when it is this caller's turn; rejects with an AbortError
   *  (the signal's reason as cause) if `signal` aborts first. Releasing twice is harmless. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortErrorFrom(signal));
    if (!this.held) {
      this.held = true;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(w);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(abortErrorFrom(signal));
      };
      const w: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(w);
    });
  }

  /** Runs `fn` in its turn and releases the lock when it settles. */
  async run<T>(fn: () => Promise<T> | T, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Rejects everyone still waiting with `e` (shutdown); the holder keeps the lock. */
  rejectAll(e: unknown): void {
    for (const w of this.waiting.splice(0)) w.reject(e);
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.grant(this.releaser());
      else this.held = false;
    };
  }
}
