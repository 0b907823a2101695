/**
 * ONC-RPC v2 (RFC 5531): table of contents.
 *
 * - types.ts       constants (const enums) and the service contract: ProcedureDef, RpcProgram,
 *                  CallContext, Credentials, CallInterceptor
 * - framer.ts      TCP record marking: fragments in, whole records out, size cap
 * - auth.ts        opaque_auth, AUTH_SYS parameters, what a credential means to the server
 * - call.ts        call header: staged parse for the server, encoder for the client
 * - reply.ts       reply header: encoders, prebuilt status replies, decoder for the client
 * - dispatcher.ts  program registry and the call path (statuses, auth policy, interceptor)
 * - tcp-server.ts, udp-server.ts, server.ts   transports and the RpcServer facade
 * - buffer-pool.ts big buffers reused by records and replies
 * - client.ts      RpcClient over TCP/UDP; errors.ts its typed failures
 * - logger.ts      JSON-lines Logger and FALLTHRU_TRACE subsystem tracing
 */
export * from './types.js';
export { RecordFramer, RecordTooLargeError } from './framer.js';
export {
  AUTH_NONE_AUTH,
  checkCallVerifier,
  credentialsFromAuth,
  credentialsToAuth,
  decodeAuthSysParms,
  decodeOpaqueAuth,
  encodeAuthSysParms,
  encodeOpaqueAuth,
  type AuthSysCredentials,
  type OpaqueAuth,
} from './auth.js';
export { decodeCallHeader, encodeCallHeader, parseCall, type CallHeader, type CallHeaderFields, type ParsedCall } from './call.js';
export {
  acceptedBody,
  authErrorBody,
  decodeReplyBody,
  decodeReplyHeader,
  describeReply,
  encodeReplyBody,
  encodeReplyHeader,
  encodeStatusReply,
  RPC_MISMATCH_BODY,
  writeSuccessHeader,
  type MismatchInfo,
  type ReplyBody,
  type ReplyHeader,
} from './reply.js';
export { BufferPool, bigBuffers } from './buffer-pool.js';
export { RpcDispatcher, requireAuthSys, replySent, type ReplyChunks, type AuthPolicy, type ProgramOptions, type TransportInfo } from './dispatcher.js';
export { RpcTcpTransport, type TcpTransportOptions } from './tcp-server.js';
export { RpcUdpTransport, type UdpTransportOptions } from './udp-server.js';
export { RpcServer, DEFAULT_MAX_RECORD_SIZE, type BoundPorts, type ListenOptions, type RpcServerOptions } from './server.js';
export { RpcClient, type CallOptions, type RpcClientOptions, type RpcReply } from './client.js';
export { RpcError, RpcTimeoutError, RpcTransportError } from './errors.js';
export { jsonLogger, silentLogger, traceEnabled, tracerFor, type LogFields, type Logger, type LogLevel, type Tracer } from './logger.js';
