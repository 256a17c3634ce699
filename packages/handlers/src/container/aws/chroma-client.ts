import { ChromaClient } from 'chromadb';

/** A Chroma client from a URL such as `http://chroma.internal:8000`. */
export function chromaClient(url: string): ChromaClient {
  const parsed = new URL(url);
  const ssl = parsed.protocol === 'https:';
  return new ChromaClient({ host: parsed.hostname, port: Number(parsed.port || (ssl ? 443 : 80)), ssl });
}
