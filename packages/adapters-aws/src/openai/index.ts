export { OpenAiEmbedder, type OpenAiEmbedderConfig } from './openai-embedder.js';
