/**
 * The broker side of SASL on a SASL_PLAINTEXT / SASL_SSL listener (SaslServerAuthenticator):
 *
 *   start          ApiVersions (answered, SASL keys listed; again after an unsupported version) or
 *                  SaslHandshake; anything else closes, unparsed
 *   handshake      an enabled mechanism -> tokens (v0: raw frames, v1: in SaslAuthenticate);
 *                  an unknown one -> UNSUPPORTED_SASL_MECHANISM (33) and the list, then close
 *   tokens         PLAIN or SCRAM; failure: v1 answers SASL_AUTHENTICATION_FAILED (58) then
 *                  closes, v0 closes; another request meanwhile closes the connection
 *   authenticated  the principal is User:<name>; requests go to the dispatcher
 *
 * Until then frames are limited to sasl.server.max.receive.size (the socket server) and only
 * these requests are parsed. Frames of one connection are handled in order. Password and proof
 * checks are constant-time. An authzid different from the user is refused (CVE-2017-12610), a
 * SCRAM client-final whose nonce is not the server's is refused (CVE-2024-56128); librdkafka
 * 2.x sends its own nonce followed by the server's there, which is accepted as well.
 */
import crypto from 'node:crypto';
import { ApiKey } from '../protocol/api-keys.js';
import { decodeRequestHeader } from '../protocol/header.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import {
  SASL_AUTHENTICATE_API_KEY,
  SASL_MAX_VERSION,
  decodeSaslAuthenticateRequest,
  decodeSaslHandshakeRequest,
  encodeSaslAuthenticateResponse,
  encodeSaslHandshakeResponse,
} from '../protocol/apis/sasl.js';
import { ErrorCode } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { CloseConnection, type ConnectionInfo, type HandlerResult, type RequestHandler } from '../network/socket-server.js';
import type { SaslMechanism } from '../network/client-security.js';
import {
  isScramMechanism,
  parseClientFinal,
  parseClientFirst,
  randomNonce,
  SCRAM_MIN_ITERATIONS,
  serverSignature,
  verifyClientProof,
  type ClientFirst,
  type ScramCredential,
  type ScramMechanism,
} from '../common/scram.js';

export interface SaslServerConfig {
  mechanisms: readonly SaslMechanism[];
  plainUsers: ReadonlyMap<string, string>;
  scramCredential(user: string, mechanism: ScramMechanism): Promise<ScramCredential | undefined>;
  log: Logger;
}

interface ScramExchange {
  first: ClientFirst;
  serverFirst: string;
  nonce: string;
  cred: ScramCredential;
}

interface SaslState {
  chain: Promise<unknown>;
  phase: 'start' | 'tokens';
  handshakeVersion: number;
  mechanism?: SaslMechanism;
  scram?: ScramExchange;
}

class AuthFailed extends Error {}

/** The request handler of a SASL listener: authentication first, then `dispatch`. */
export function saslGate(cfg: SaslServerConfig, dispatch: RequestHandler): RequestHandler {
  return (frame, conn) => {
    if (conn.isAuthenticated) return dispatch(frame, conn);
    const st = (conn.state ??= { chain: Promise.resolve(), phase: 'start', handshakeVersion: 0 } satisfies SaslState) as SaslState;
    const run = st.chain.then(() => (conn.isAuthenticated ? dispatch(frame, conn) : step(cfg, st, frame, conn, dispatch)));
    st.chain = run.catch(() => undefined);
    return run;
  };
}

async function step(cfg: SaslServerConfig, st: SaslState, frame: Buffer, conn: ConnectionInfo, dispatch: RequestHandler): Promise<HandlerResult> {
  if (st.phase === 'tokens' && st.handshakeVersion === 0) {
    // v0: the frame is the token itself
    try {
      const out = await token(cfg, st, frame, conn);
      return out;
    } catch (err) {
      cfg.log.info('SASL authentication failed', { remote: conn.remote, mechanism: st.mechanism, reason: (err as Error).message });
      return new CloseConnection();
    }
  }
  if (frame.length < 8) return new CloseConnection();
  const apiKey = frame.readInt16BE(0);
  // ApiVersions may be repeated before the handshake (a client retries a lower version after error 35)
  const allowed: number[] = st.phase === 'tokens' ? [SASL_AUTHENTICATE_API_KEY] : [ApiKey.ApiVersions, ApiKey.SaslHandshake];
  if (!allowed.includes(apiKey)) {
    // rejected before parsing (CVE-2022-34917): only these requests are read before authentication
    cfg.log.info('closing connection: request before SASL authentication', { remote: conn.remote, apiKey, phase: st.phase });
    return new CloseConnection();
  }
  if (apiKey === ApiKey.ApiVersions) return dispatch(frame, conn);
  const header = decodeRequestHeader(frame);
  if (header.apiVersion < 0 || header.apiVersion > SASL_MAX_VERSION) return new CloseConnection();
  const r = new Reader(frame, header.bodyOffset);
  const w = new Writer(128).int32(header.correlationId);
  if (apiKey === ApiKey.SaslHandshake) {
    const mechanism = decodeSaslHandshakeRequest(r, header.apiVersion);
    const enabled = [...cfg.mechanisms];
    if (!(enabled as string[]).includes(mechanism)) {
      cfg.log.info('closing connection: unsupported SASL mechanism', { remote: conn.remote, mechanism: mechanism.slice(0, 40) });
      encodeSaslHandshakeResponse(w, header.apiVersion, { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: enabled });
      return new CloseConnection(w.finish());
    }
    st.phase = 'tokens';
    st.mechanism = mechanism as SaslMechanism;
    st.handshakeVersion = header.apiVersion;
    return encodeSaslHandshakeResponse(w, header.apiVersion, { errorCode: ErrorCode.NONE, mechanisms: enabled }).finish();
  }
  // SaslAuthenticate after a v1 handshake
  if (st.handshakeVersion < 1) return new CloseConnection();
  const bytes = decodeSaslAuthenticateRequest(r, header.apiVersion);
  try {
    const out = await token(cfg, st, bytes, conn);
    return encodeSaslAuthenticateResponse(w, header.apiVersion, { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: out, sessionLifetimeMs: 0 }).finish();
  } catch (err) {
    cfg.log.info('SASL authentication failed', { remote: conn.remote, mechanism: st.mechanism, reason: (err as Error).message });
    const message = `Authentication failed during authentication due to invalid credentials with SASL mechanism ${st.mechanism}`;
    encodeSaslAuthenticateResponse(w, header.apiVersion, { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: message, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 });
    return new CloseConnection(w.finish());
  }
}

/** Evaluates one client token; returns the server's token. Throws AuthFailed (or a parse error) on failure. */
async function token(cfg: SaslServerConfig, st: SaslState, bytes: Buffer, conn: ConnectionInfo): Promise<Buffer> {
  const m = st.mechanism!;
  if (m === 'PLAIN') {
    const user = plain(cfg, bytes);
    conn.authenticated(`User:${user}`);
    return Buffer.alloc(0);
  }
  if (!isScramMechanism(m)) throw new AuthFailed(`mechanism ${m}`);
  const text = bytes.toString('utf8');
  if (!st.scram) {
    const first = parseClientFirst(text);
    if (first.authzid !== '' && first.authzid !== first.username) throw new AuthFailed('Client requested an authorization id that is different from username');
    const cred = await cfg.scramCredential(first.username, m);
    if (!cred) throw new AuthFailed(`no ${m} credential for the user`);
    if (cred.iterations < SCRAM_MIN_ITERATIONS) throw new AuthFailed(`credential has only ${cred.iterations} iterations`);
    const nonce = first.nonce + randomNonce();
    const serverFirst = `r=${nonce},s=${cred.salt.toString('base64')},i=${cred.iterations}`;
    st.scram = { first, serverFirst, nonce, cred };
    return Buffer.from(serverFirst, 'utf8');
  }
  const x = st.scram;
  const final = parseClientFinal(text);
  // the server nonce, or (librdkafka up to 2.x) the client nonce followed by the server nonce;
  // anything else is refused (CVE-2024-56128): it must carry this exchange's fresh server part
  if (final.nonce !== x.nonce && final.nonce !== x.first.nonce + x.nonce) throw new AuthFailed('Invalid client nonce in the final client message');
  const gs2 = Buffer.from(x.first.authzid === '' ? 'n,,' : `n,a=${x.first.authzid},`, 'utf8').toString('base64');
  if (final.channelBinding !== gs2) throw new AuthFailed('Invalid channel binding');
  const authMessage = `${x.first.bare},${x.serverFirst},${final.withoutProof}`;
  if (!verifyClientProof(m, x.cred, authMessage, final.proof)) throw new AuthFailed('Invalid client proof');
  conn.authenticated(`User:${x.first.username}`);
  return Buffer.from(`v=${serverSignature(m, x.cred.serverKey, authMessage).toString('base64')}`, 'utf8');
}

/** `authzid NUL user NUL password`: exactly three parts, user and password non-empty, authzid empty or the user. */
function plain(cfg: SaslServerConfig, bytes: Buffer): string {
  const parts = bytes.toString('utf8').split('\u0000');
  if (parts.length !== 3) throw new AuthFailed('Invalid SASL/PLAIN response: expected 3 tokens');
  const [authzid, user, password] = parts as [string, string, string];
  if (user === '') throw new AuthFailed('Authentication failed: username not specified');
  if (password === '') throw new AuthFailed('Authentication failed: password not specified');
  if (authzid !== '' && authzid !== user) throw new AuthFailed('Authentication failed: Client requested an authorization id that is different from username');
  const expected = cfg.plainUsers.get(user);
  // compare digests: constant time whatever the lengths, and for an unknown user too
  const a = crypto.createHash('sha256').update(password, 'utf8').digest();
  const b = crypto.createHash('sha256').update(expected ?? crypto.randomBytes(16).toString('hex'), 'utf8').digest();
  if (!crypto.timingSafeEqual(a, b) || expected === undefined) throw new AuthFailed('Authentication failed: Invalid username or password');
  return user;
}
