/** XDR (RFC 4506): a bounds-checked decoding cursor and a growing, chunked encoder. */
export { XdrReader, XdrDecodeError, xdrPad } from './reader.js';
export { XdrWriter, XDR_REF_THRESHOLD } from './writer.js';
