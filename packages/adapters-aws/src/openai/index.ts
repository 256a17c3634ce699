export { OpenAiEmbedder, type OpenAiEmbedderConfig } from './openai-embedder.js';
export {
  OpenAiEmbeddingsClient,
  type EmbeddingsApi,
  type EmbeddingsRequest,
  type EmbeddingsRequestOptions,
  type EmbeddingsResponse,
  type OpenAiEmbeddingsClientConfig,
} from './openai-embeddings-client.js';
export { OpenAiApiError, OpenAiConnectionError } from '../errors.js';
