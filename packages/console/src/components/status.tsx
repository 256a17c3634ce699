import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api.js';

/** An error as the server said it (code and message); a 401 is handled by the sign-in prompt. */
export function ErrorMessage({ error, title }: { error: unknown; title?: string }) {
  const api = error instanceof ApiError ? error : null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div class="message error" role="alert">
      <strong>{title ?? (api && api.status >= 500 ? 'The server had a problem' : 'That did not work')}</strong>
      <p>
        {message}
        {api && api.code && !api.code.startsWith('HTTP_') ? <span class="code"> ({api.code})</span> : null}
      </p>
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}

export type Load<T> = { state: 'loading' } | { state: 'error'; error: unknown } | { state: 'done'; value: T };

/**
 * Runs `load` when `deps` change and keeps its latest answer; `reload()` runs it again. An answer
 * that arrives after a newer request started is dropped, so a slow page never overwrites a
 * quicker, newer one.
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): [Load<T>, () => void] {
  const [result, setResult] = useState<Load<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let current = true;
    setResult((r) => (r.state === 'done' ? r : { state: 'loading' }));
    load().then(
      (value) => current && setResult({ state: 'done', value }),
      (error: unknown) => current && setResult({ state: 'error', error }),
    );
    return () => {
      current = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return [result, reload];
}
