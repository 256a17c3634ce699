/**
 * The console's client of the documented HTTP API (docs/api.md), with the bearer token kept in
 * sessionStorage (gone when the tab closes; never in localStorage or a cookie). Every error
 * answer becomes an {@link ApiError} carrying the server's code and message, which the views
 * show as they are; a 401 also tells the app to ask for a token again.
 */

const TOKEN_KEY = 'receiptflow.token';

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** An answer other than 2xx/3xx, or no answer at all (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called on every 401: the token is missing, wrong or no longer accepted. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

function authHeaders(): Record<string, string> {
  const token = getToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** The API's error answer as an ApiError (a 401 also raises the sign-in prompt). */
export async function apiErrorFrom(res: Response): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let message = res.statusText || `the server answered ${res.status}`;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // Not the API's JSON error (a proxy's page): keep the status line.
  }
  if (res.status === 401) for (const listener of unauthorizedListeners) listener();
  return new ApiError(res.status, code, message);
}

/** Resolves an API path against the page, so a build served under a prefix calls its own API. */
export function apiUrl(path: string): string {
  return new URL(path.replace(/^\//, ''), new URL('.', document.baseURI)).toString();
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(apiUrl(path), {
      method,
      headers: { ...authHeaders(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw new ApiError(0, 'NETWORK', `the server could not be reached (${(error as Error).message})`);
  }
  if (!res.ok) throw await apiErrorFrom(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const get = <T>(path: string) => request<T>('GET', path);

/** Query string from defined, non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') q.set(key, String(value));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export interface UploadAnswer {
  image_id: string;
  job_id?: string;
  duplicate?: boolean;
}

/**
 * `POST /upload-receipt?filename=` with the file's bytes, through XMLHttpRequest because fetch
 * cannot report upload progress. `onProgress` gets 0..1.
 */
export function uploadFile(file: File, onProgress: (fraction: number) => void): Promise<UploadAnswer> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', apiUrl(`/upload-receipt${query({ filename: file.name })}`));
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'the upload was interrupted'));
    xhr.onload = () => {
      let body: { error?: { code?: string; message?: string } } & Partial<UploadAnswer> = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        // keep {}
      }
      if (xhr.status >= 200 && xhr.status < 300 && body.image_id) {
        onProgress(1);
        resolve(body as UploadAnswer);
        return;
      }
      if (xhr.status === 401) for (const listener of unauthorizedListeners) listener();
      reject(
        new ApiError(
          xhr.status,
          body.error?.code ?? `HTTP_${xhr.status}`,
          body.error?.message ?? `the server answered ${xhr.status}`,
        ),
      );
    };
    xhr.send(file);
  });
}

// ---- The API's shapes (docs/api.md), as far as the console reads them ----

export interface Money {
  amount_minor: number;
  currency: string;
}

export interface ReceiptSummary {
  image_id: string;
  receipt_id: number;
  date: string | null;
  total: Money | null;
  merchant: { place_id: string | null; name: string | null; source: string } | null;
  created_at: string;
  possible_duplicate_of?: { image_id: string; receipt_id: number };
}

export interface ReceiptList {
  receipts: ReceiptSummary[];
  next_cursor: string | null;
}

export interface MerchantSummary {
  place_id: string;
  name: string | null;
  receipt_count: number;
  last_seen: string;
}

export interface Point {
  x: number;
  y: number;
}

export interface Geometry {
  bounding_box: { x: number; y: number; width: number; height: number };
  top_left: Point;
  top_right: Point;
  bottom_left: Point;
  bottom_right: Point;
  angle_degrees: number;
}

export interface ReceiptLine extends Geometry {
  line_id: number;
  text: string;
  confidence: number;
}

export interface ReceiptWord extends ReceiptLine {
  word_id: number;
}

interface Provenance {
  text: string;
  line_ids: number[];
  source: 'extracted' | 'user';
}

export interface MoneyField extends Provenance {
  minor: number;
  currency: string;
}

export interface ReceiptFields {
  date: (Provenance & { value: string | null }) | null;
  total: MoneyField | null;
  subtotal: MoneyField | null;
  tax: MoneyField | null;
  payment_method: (Provenance & { value: string }) | null;
  line_items: {
    description: string;
    quantity: number | null;
    amount: { minor: number; currency: string };
    line_ids: number[];
  }[];
}

export interface ReceiptPlace {
  merchant_name: string | null;
  place_id: string | null;
  address: string | null;
  phone: string | null;
  confidence: number;
  source: string;
  evidence: string[];
}

export interface ReceiptView {
  receipt: {
    image_id: string;
    receipt_id: number;
    region?: Geometry & { width: number; height: number };
    fields?: ReceiptFields;
    created_at: string;
  };
  merchant: ReceiptPlace | null;
  lines: ReceiptLine[];
  words: ReceiptWord[];
  stage: string;
  image_url: string;
  possible_duplicate_of?: { image_id: string; receipt_id: number };
}

export interface SimilarReceipt {
  image_id: string;
  receipt_id: number;
  score: number;
  merchant: { place_id: string | null; name: string | null; source: string } | null;
}

export interface UploadStatus {
  image_id: string;
  stage: string;
  failed_stage: string | null;
  job_status: string | null;
  failure_reason: string | null;
  receipts: { receipt_id: number; merchant_name: string | null; compacted: boolean }[];
}
