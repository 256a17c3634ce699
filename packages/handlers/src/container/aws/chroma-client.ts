import { ChromaClient } from 'chromadb';

export interface ChromaAccess {
  /** Sent as `x-chroma-token` (Chroma's token auth header). */
  authToken?: string;
  tenant?: string;
  database?: string;
}

/** A Chroma client from a URL such as `http://chroma.internal:8000`, with optional auth, tenant and database. */
export function chromaClient(url: string, access: ChromaAccess = {}): ChromaClient {
  const parsed = new URL(url);
  const ssl = parsed.protocol === 'https:';
  return new ChromaClient({
    host: parsed.hostname,
    port: Number(parsed.port || (ssl ? 443 : 80)),
    ssl,
    ...(access.tenant ? { tenant: access.tenant } : {}),
    ...(access.database ? { database: access.database } : {}),
    ...(access.authToken ? { headers: { 'x-chroma-token': access.authToken } } : {}),
  });
}
