export { ChromaVectorIndex, type ChromaVectorIndexConfig } from './chroma-vector-index.js';
