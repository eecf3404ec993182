/**
 * The client side of SASL: SaslHandshake v1, then the mechanism's tokens in SaslAuthenticate v1
 * (what Kafka 1.0+ clients do). PLAIN sends `\0user\0password`; SCRAM runs the four messages and
 * checks the server's signature, computing at most SCRAM_CLIENT_MAX_ITERATIONS iterations. A
 * failure is a SaslAuthenticationError (the connection is then closed by the caller).
 */
import crypto from 'node:crypto';
import { ErrorCode, ProjectError, errorName } from '../common/errors.js';
import { ApiKey } from '../protocol/api-keys.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import {
  SASL_AUTHENTICATE_API_KEY,
  decodeSaslAuthenticateResponse,
  decodeSaslHandshakeResponse,
  encodeSaslAuthenticateRequest,
  encodeSaslHandshakeRequest,
} from '../protocol/apis/sasl.js';
import type { SaslCredentials } from './client-security.js';
import { clientProof, encodeSaslName, parseAttributes, SCRAM_CLIENT_MAX_ITERATIONS, SCRAM_MIN_ITERATIONS, type ScramMechanism } from '../common/scram.js';

export class SaslAuthenticationError extends ProjectError {}

type Send = (apiKey: number, version: number, writeBody: (w: Writer) => void) => Promise<Reader>;

export async function saslAuthenticate(send: Send, creds: SaslCredentials, where: string): Promise<void> {
  const hs = decodeSaslHandshakeResponse(await send(ApiKey.SaslHandshake, 1, (w) => void encodeSaslHandshakeRequest(w, 1, creds.mechanism)), 1);
  if (hs.errorCode !== ErrorCode.NONE) {
    throw new SaslAuthenticationError(`${where}: SASL mechanism ${creds.mechanism} refused (${errorName(hs.errorCode)}; enabled: ${hs.mechanisms.join(', ') || 'none'})`);
  }
  const exchange = async (token: Buffer): Promise<Buffer> => {
    const res = decodeSaslAuthenticateResponse(await send(SASL_AUTHENTICATE_API_KEY, 1, (w) => void encodeSaslAuthenticateRequest(w, 1, token)), 1);
    if (res.errorCode !== ErrorCode.NONE) throw new SaslAuthenticationError(`${where}: ${res.errorMessage ?? errorName(res.errorCode)}`);
    return res.authBytes;
  };
  if (creds.mechanism === 'PLAIN') {
    await exchange(Buffer.from(`\0${creds.username}\0${creds.password}`, 'utf8'));
    return;
  }
  await scram(exchange, creds.mechanism, creds.username, creds.password, where);
}

async function scram(exchange: (t: Buffer) => Promise<Buffer>, m: ScramMechanism, user: string, password: string, where: string): Promise<void> {
  const cnonce = crypto.randomBytes(18).toString('base64url');
  const bare = `n=${encodeSaslName(user)},r=${cnonce}`;
  const serverFirst = (await exchange(Buffer.from(`n,,${bare}`, 'utf8'))).toString('utf8');
  const a = parseAttributes(serverFirst);
  const nonce = a.get('r') ?? '';
  const iterations = Number(a.get('i'));
  if (!nonce.startsWith(cnonce) || nonce === cnonce) throw new SaslAuthenticationError(`${where}: SCRAM server nonce does not extend ours`);
  if (!Number.isSafeInteger(iterations) || iterations < SCRAM_MIN_ITERATIONS || iterations > SCRAM_CLIENT_MAX_ITERATIONS) {
    throw new SaslAuthenticationError(`${where}: SCRAM iterations ${a.get('i')} refused (${SCRAM_MIN_ITERATIONS} to ${SCRAM_CLIENT_MAX_ITERATIONS})`);
  }
  const withoutProof = `c=biws,r=${nonce}`;
  const authMessage = `${bare},${serverFirst},${withoutProof}`;
  const { proof, serverSignature } = clientProof(m, password, Buffer.from(a.get('s') ?? '', 'base64'), iterations, authMessage);
  const serverFinal = (await exchange(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8'))).toString('utf8');
  const f = parseAttributes(serverFinal);
  if (f.has('e')) throw new SaslAuthenticationError(`${where}: SCRAM failed: ${f.get('e')}`);
  const v = Buffer.from(f.get('v') ?? '', 'base64');
  if (v.length !== serverSignature.length || !crypto.timingSafeEqual(v, serverSignature)) throw new SaslAuthenticationError(`${where}: SCRAM server signature is wrong`);
}
