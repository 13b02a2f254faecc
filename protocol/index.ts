export * from './crc32.ts';
export * from './credentials.ts';
export * from './errors.ts';
export * from './eui.ts';
export * from './request.ts';
export * from './response.ts';
export * from './signature.ts';
