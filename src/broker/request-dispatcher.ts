/**
 * Turns one request frame into one response frame: decodes the header, checks the API and
 * version, decodes the body with the API's codec, runs its handler and encodes the answer.
 * An ApiVersions request of a version we do not speak is answered with error 35 in a v0 body
 * (how clients negotiate). SaslHandshake and SaslAuthenticate get ILLEGAL_SASL_STATE (34): on a
 * SASL listener the authenticator answers them before, never the dispatcher. Any other unknown
 * API or version has no place for an error in the protocol, so the connection is closed and the
 * reason logged.
 */
import { decodeRequestHeader } from '../protocol/header.js';
import { ApiKey, apiName, supportedRange } from '../protocol/api-keys.js';
import { codecFor } from '../protocol/apis/index.js';
import { encodeFetchResponseChunks, type FetchResponse } from '../protocol/apis/fetch.js';
import { apiVersionsResponse, encodeApiVersionsResponse, API_VERSIONS_MAX_VERSION, type ApiVersionsResponse } from '../protocol/apis/api-versions.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { ErrorCode, ProjectError } from '../common/errors.js';
import { LentResponse, type ConnectionInfo, type HandlerResult } from '../network/socket-server.js';
import { SASL_API_VERSIONS, SASL_AUTHENTICATE_API_KEY, SASL_MAX_VERSION, encodeSaslAuthenticateResponse, encodeSaslHandshakeResponse } from '../protocol/apis/sasl.js';
import { authorized } from './authorization.js';
import type { BrokerContext, RequestMeta } from './handlers/context.js';
import { handleProduce } from './handlers/produce.js';
import { handleFetch } from './handlers/fetch.js';
import { handleListOffsets } from './handlers/list-offsets.js';
import { handleMetadata } from './handlers/metadata.js';
import { handleOffsetCommit, handleOffsetFetch } from './handlers/offsets.js';
import { handleCreateTopics, handleDeleteTopics, handleInitProducerId } from './handlers/admin.js';
import {
  handleDeleteGroups,
  handleDescribeGroups,
  handleFindCoordinator,
  handleHeartbeat,
  handleJoinGroup,
  handleLeaveGroup,
  handleListGroups,
  handleSyncGroup,
} from './handlers/groups.js';
import {
  handleControlledShutdown,
  handleLeaderAndIsr,
  handleOffsetsForLeaderEpoch,
  handleStopReplica,
  handleUpdateMetadata,
} from './handlers/controller-requests.js';

export class UnsupportedRequestError extends ProjectError {}

type Handler = (ctx: BrokerContext, version: number, req: never, meta: RequestMeta) => Promise<unknown> | unknown;

const HANDLERS: Partial<Record<number, Handler>> = {
  [ApiKey.Produce]: (ctx, v, req, meta) => handleProduce(ctx, v, req, meta.timing),
  [ApiKey.Fetch]: (ctx, v, req, meta) => handleFetch(ctx, v, req, meta),
  [ApiKey.ListOffsets]: (ctx, v, req) => handleListOffsets(ctx, v, req),
  [ApiKey.Metadata]: (ctx, v, req, meta) => handleMetadata(ctx, v, req, meta),
  [ApiKey.OffsetCommit]: (ctx, v, req) => handleOffsetCommit(ctx, v, req),
  [ApiKey.OffsetFetch]: (ctx, v, req) => handleOffsetFetch(ctx, v, req),
  [ApiKey.FindCoordinator]: (ctx, v, req, meta) => handleFindCoordinator(ctx, v, req, meta),
  [ApiKey.JoinGroup]: (ctx, v, req, meta) => handleJoinGroup(ctx, v, req, meta),
  [ApiKey.SyncGroup]: (ctx, v, req) => handleSyncGroup(ctx, v, req),
  [ApiKey.Heartbeat]: (ctx, v, req) => handleHeartbeat(ctx, v, req),
  [ApiKey.LeaveGroup]: (ctx, v, req) => handleLeaveGroup(ctx, v, req),
  [ApiKey.DescribeGroups]: (ctx, v, req) => handleDescribeGroups(ctx, v, req),
  [ApiKey.ListGroups]: (ctx) => handleListGroups(ctx),
  [ApiKey.DeleteGroups]: (ctx, v, req) => handleDeleteGroups(ctx, v, req),
  [ApiKey.ApiVersions]: (_ctx, _v, _req, meta) => withSasl(apiVersionsResponse(), meta.sasl),
  [ApiKey.CreateTopics]: (ctx, _v, req) => handleCreateTopics(ctx, req),
  [ApiKey.DeleteTopics]: (ctx, _v, req) => handleDeleteTopics(ctx, req),
  [ApiKey.InitProducerId]: (ctx, _v, req) => handleInitProducerId(ctx, req),
  [ApiKey.LeaderAndIsr]: (ctx, _v, req) => handleLeaderAndIsr(ctx, req),
  [ApiKey.UpdateMetadata]: (ctx, _v, req) => handleUpdateMetadata(ctx, req),
  [ApiKey.StopReplica]: (ctx, _v, req) => handleStopReplica(ctx, req),
  [ApiKey.ControlledShutdown]: (ctx, _v, req) => handleControlledShutdown(ctx, req),
  [ApiKey.OffsetsForLeaderEpoch]: (ctx, _v, req) => handleOffsetsForLeaderEpoch(ctx, req),
};

export function createDispatcher(ctx: BrokerContext) {
  const saslListeners = new Set(ctx.config.listeners.listeners.filter((l) => l.protocol === 'SASL_PLAINTEXT' || l.protocol === 'SASL_SSL').map((l) => l.name));
  return async function dispatch(frame: Buffer, conn: ConnectionInfo): Promise<HandlerResult> {
    const header = decodeRequestHeader(frame);
    const { apiKey, apiVersion, correlationId } = header;
    if (apiKey === ApiKey.ApiVersions && (apiVersion < 0 || apiVersion > API_VERSIONS_MAX_VERSION)) {
      const w = new Writer(512).int32(correlationId);
      encodeApiVersionsResponse(w, 0, withSasl(apiVersionsResponse(ErrorCode.UNSUPPORTED_VERSION), saslListeners.has(conn.listener)));
      return w.finish();
    }
    if (apiKey === ApiKey.SaslHandshake || apiKey === SASL_AUTHENTICATE_API_KEY) return saslOutOfState(ctx, header, conn);
    const codec = codecFor(apiKey);
    const handler = HANDLERS[apiKey];
    if (!codec || !handler) {
      throw new UnsupportedRequestError(`unsupported API ${apiName(apiKey)} from ${conn.remote} (client ${header.clientId})`);
    }
    // what the broker advertises, which may be narrower than what the codec can read
    const range = supportedRange(apiKey) ?? codec;
    if (apiVersion < range.minVersion || apiVersion > range.maxVersion) {
      throw new UnsupportedRequestError(
        `unsupported version ${apiVersion} of ${apiName(apiKey)} from ${conn.remote} (supported ${range.minVersion}-${range.maxVersion})`,
      );
    }
    const req = codec.decodeRequest(new Reader(frame, header.bodyOffset), apiVersion);
    const started = performance.now();
    const meta: RequestMeta = {
      clientId: header.clientId ?? '',
      clientHost: `/${hostOf(conn.remote)}`,
      listener: conn.listener,
      principal: conn.principal,
      sasl: saslListeners.has(conn.listener),
      timing: { waitedMs: 0 },
    };
    const res = ctx.authorizer
      ? await authorized(ctx.authorizer, apiKey, req, meta, async (r) => handler(ctx, apiVersion, r as never, meta), (t) => ctx.metadata.hasTopic(t), ctx.config.autoCreateTopicsEnable)
      : await handler(ctx, apiVersion, req as never, meta);
    const waited = meta.timing.waitedMs;
    ctx.metrics.requestHandled(apiKey, performance.now() - started - waited, waited);
    if (res === undefined) return undefined;
    const w = new Writer(256).int32(correlationId);
    // Fetch: the record sets go to the socket as chunks of their own, not copied
    if (apiKey === ApiKey.Fetch) {
      const chunks = encodeFetchResponseChunks(w, apiVersion, res as FetchResponse);
      return meta.afterSend ? new LentResponse(chunks, meta.afterSend) : chunks;
    }
    codec.encodeResponse(w, apiVersion, res);
    return w.finish();
  };
}

/**
 * SaslHandshake or SaslAuthenticate reaching the dispatcher: after a successful authentication,
 * or on a listener without SASL. As Kafka's KafkaApis: ILLEGAL_SASL_STATE (34), the handshake
 * with the listener's mechanisms, and the connection stays open (a client configured for SASL
 * against a plain listener hears why, instead of seeing the connection dropped).
 */
function saslOutOfState(ctx: BrokerContext, header: ReturnType<typeof decodeRequestHeader>, conn: ConnectionInfo): Buffer {
  const { apiKey, apiVersion, correlationId } = header;
  if (apiVersion < 0 || apiVersion > SASL_MAX_VERSION) {
    throw new UnsupportedRequestError(`unsupported version ${apiVersion} of ${apiName(apiKey)} from ${conn.remote} (supported 0-${SASL_MAX_VERSION})`);
  }
  const w = new Writer(128).int32(correlationId);
  if (apiKey === ApiKey.SaslHandshake) {
    encodeSaslHandshakeResponse(w, apiVersion, { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [...(ctx.config.listenerSecurity.get(conn.listener)?.mechanisms ?? [])] });
  } else {
    const errorMessage = conn.isAuthenticated && ctx.config.listenerSecurity.get(conn.listener)?.mechanisms.length ? 'SaslAuthenticate request received after successful authentication' : `listener ${conn.listener} does not use SASL`;
    encodeSaslAuthenticateResponse(w, apiVersion, { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 });
  }
  return w.finish();
}

/** A SASL listener also advertises SaslHandshake and SaslAuthenticate 0-1 (kafkajs and librdkafka choose the token framing from them). */
function withSasl(res: ApiVersionsResponse, sasl: boolean): ApiVersionsResponse {
  if (!sasl) return res;
  return { ...res, apiVersions: [...res.apiVersions, ...SASL_API_VERSIONS.map((r) => ({ ...r }))].sort((a, b) => a.apiKey - b.apiKey) };
}

/** The host of "host:port" or "[v6]:port". */
function hostOf(remote: string): string {
  const i = remote.lastIndexOf(':');
  const host = i > 0 ? remote.slice(0, i) : remote;
  return host.replace(/^\[(.*)\]$/, '$1');
}
