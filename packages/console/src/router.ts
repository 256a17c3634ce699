import { useEffect, useState } from 'preact/hooks';

/**
 * Hash routes (`#/receipts`, `#/receipts/<image_id>/<receipt_id>`, `#/pipeline`): the server
 * serves one page at `/`, and no console path can shadow an API route such as `GET /receipts`.
 */
export type Route =
  | { view: 'receipts'; params: URLSearchParams }
  | { view: 'receipt'; imageId: string; receiptId: number }
  | { view: 'pipeline' }
  | { view: 'not-found'; path: string };

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/receipts';
  const [path = '', search = ''] = raw.split('?', 2);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0 || (parts[0] === 'receipts' && parts.length === 1)) {
    return { view: 'receipts', params: new URLSearchParams(search) };
  }
  if (parts[0] === 'receipts' && parts.length === 3 && /^\d+$/.test(parts[2]!)) {
    return { view: 'receipt', imageId: parts[1]!, receiptId: Number(parts[2]) };
  }
  if (parts[0] === 'pipeline' && parts.length === 1) return { view: 'pipeline' };
  return { view: 'not-found', path };
}

export function receiptHref(imageId: string, receiptId: number): string {
  return `#/receipts/${encodeURIComponent(imageId)}/${receiptId}`;
}

export function receiptsHref(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `#/receipts?${s}` : '#/receipts';
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
