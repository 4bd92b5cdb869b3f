/** The local S3-compatible server lives in src/demo (the demo exports to it). */
export * from '../../src/demo/local-s3';
