export { S3VectorIndexFiles, type S3VectorIndexFilesConfig } from './s3-vector-index-files.js';
