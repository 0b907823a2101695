/** MOUNT protocol (program 100005) v3 and v1 wire codecs and procedure tables; no policy here. */
export * from './constants.js';
export * from './codec.js';
export * from './procedures.js';
