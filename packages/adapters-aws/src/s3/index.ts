export { S3ImageStore, type S3ImageStoreConfig } from './s3-image-store.js';
export { assertSafeKey, assertSafePrefix } from './object-key.js';
export { decodeMetadata, encodeMetadata, stringifyMetadataValue } from './object-metadata.js';
export { S3ExportArtifacts, type S3ExportArtifactsConfig } from './s3-export-artifacts.js';
