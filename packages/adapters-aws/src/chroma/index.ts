export { ChromaVectorIndex, type ChromaVectorIndexConfig } from './chroma-vector-index.js';
export { DEFAULT_CHROMA_RETRY_POLICY, type ChromaRetryPolicy } from './chroma-requests.js';
