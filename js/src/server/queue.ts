// A first-in first-out lock: one generation runs at a time, the rest wait in arrival order. A
// waiter whose signal aborts (its client disconnected) leaves the line without ever running.
import { AbortError } from '../errors.js';

interface Waiter {
  grant: (release: () => void) => void;
  reject: (e: unknown) => void;
}

export class FifoQueue {
  private busy = false;
  private readonly waiting: Waiter[] = [];

  /** Requests waiting for their turn (not counting the one running). */
  get pending(): number {
    return this.waiting.length;
  }

  get running(): boolean {
    return this.busy;
  }

  /** Resolves with a release function when it is this caller's turn. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new AbortError());
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
        reject,
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(w);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new AbortError('the request left the queue'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(w);
    });
  }

  /** Rejects everyone still waiting (shutdown). */
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
      else this.busy = false;
    };
  }
}
