/**
 * NFS version 3 (RFC 1813) wire codecs: types, one decoder/encoder per XDR type, per-procedure
 * argument and result codecs for both sides, the procedure table, and READDIR size accounting.
 * No file-system knowledge lives here.
 */
export * from './constants.js';
export * from './types.js';
export * from './basic.js';
export * from './attr.js';
export * from './lookup.js';
export * from './io.js';
export * from './create.js';
export * from './namespace.js';
export * from './readdir.js';
export * from './readdir-budget.js';
export * from './fsinfo.js';
export * from './procedure-codec.js';
export * from './procedures.js';
