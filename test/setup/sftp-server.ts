/** The in-process SFTP server lives in src/demo (the demo serves partner files with it). */
export * from '../../src/demo/local-sftp';
