/**
 * SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka does it (ScramFormatter,
 * ScramMessages): the computation, the credential format stored in ZooKeeper and the four
 * messages. Used by the broker's authenticator and by our clients.
 *
 *   SaltedPassword = Hi(UTF-8(password), salt, i)        (PBKDF2-HMAC; no SASLprep, as Kafka)
 *   ClientKey = HMAC(SaltedPassword, "Client Key")   StoredKey = H(ClientKey)
 *   ServerKey = HMAC(SaltedPassword, "Server Key")
 *   AuthMessage = client-first-bare "," server-first "," client-final-without-proof
 *   ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage)
 *   ServerSignature = HMAC(ServerKey, AuthMessage)
 *
 * Credential text (/config/users/<user>, key "SCRAM-SHA-256"): salt=<b64>,stored_key=<b64>,server_key=<b64>,iterations=N
 */
import crypto from 'node:crypto';
import { ProjectError } from './errors.js';

export const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type ScramMechanism = (typeof SCRAM_MECHANISMS)[number];
/** Kafka refuses credentials with fewer iterations (ScramMechanism.minIterations). */
export const SCRAM_MIN_ITERATIONS = 4096;
export const SCRAM_DEFAULT_ITERATIONS = 4096;
/**
 * The most iterations our client computes for a server that asks (librdkafka's limit): a broker,
 * or whoever sits between over SASL_PLAINTEXT, could otherwise make it hash for hours.
 */
export const SCRAM_CLIENT_MAX_ITERATIONS = 1_000_000;

export class ScramError extends ProjectError {}

export interface ScramCredential {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
  iterations: number;
}

export function isScramMechanism(m: string): m is ScramMechanism {
  return (SCRAM_MECHANISMS as readonly string[]).includes(m);
}

const hashName = (m: ScramMechanism): 'sha256' | 'sha512' => (m === 'SCRAM-SHA-256' ? 'sha256' : 'sha512');
const hashLen = (m: ScramMechanism): number => (m === 'SCRAM-SHA-256' ? 32 : 64);

export function hmac(m: ScramMechanism, key: Buffer, data: string | Buffer): Buffer {
  return crypto.createHmac(hashName(m), key).update(data).digest();
}

export function hash(m: ScramMechanism, data: Buffer): Buffer {
  return crypto.createHash(hashName(m)).update(data).digest();
}

export function saltedPassword(m: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  return crypto.pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, hashLen(m), hashName(m));
}

export function xor(a: Buffer, b: Buffer): Buffer {
  if (a.length !== b.length) throw new ScramError('SCRAM proof has the wrong length');
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** A random printable nonce: base-36 of 130 random bits, as Kafka's ScramFormatter.secureRandomString. */
export function randomNonce(): string {
  const bytes = crypto.randomBytes(17);
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return (n & ((1n << 130n) - 1n)).toString(36);
}

export function makeCredential(m: ScramMechanism, password: string, iterations = SCRAM_DEFAULT_ITERATIONS, salt = Buffer.from(randomNonce(), 'utf8')): ScramCredential {
  const salted = saltedPassword(m, password, salt, iterations);
  const clientKey = hmac(m, salted, 'Client Key');
  return { salt, storedKey: hash(m, clientKey), serverKey: hmac(m, salted, 'Server Key'), iterations };
}

export function encodeCredential(c: ScramCredential): string {
  return `salt=${c.salt.toString('base64')},stored_key=${c.storedKey.toString('base64')},server_key=${c.serverKey.toString('base64')},iterations=${c.iterations}`;
}

/** Kafka's ScramCredentialUtils.credentialFromString: exactly the four keys. */
export function decodeCredential(text: string): ScramCredential {
  const attrs = new Map<string, string>();
  for (const part of text.split(',')) {
    const i = part.indexOf('=');
    if (i <= 0) throw new ScramError('bad SCRAM credential');
    attrs.set(part.slice(0, i), part.slice(i + 1));
  }
  const keys = ['salt', 'stored_key', 'server_key', 'iterations'];
  if (attrs.size !== 4 || !keys.every((k) => attrs.has(k))) throw new ScramError('bad SCRAM credential: expected salt, stored_key, server_key, iterations');
  const iterations = Number(attrs.get('iterations'));
  if (!Number.isSafeInteger(iterations) || iterations <= 0) throw new ScramError('bad SCRAM credential: iterations');
  return {
    salt: Buffer.from(attrs.get('salt')!, 'base64'),
    storedKey: Buffer.from(attrs.get('stored_key')!, 'base64'),
    serverKey: Buffer.from(attrs.get('server_key')!, 'base64'),
    iterations,
  };
}

/** `=` -> `=3D`, `,` -> `=2C` (RFC 5802 saslname). */
export function encodeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

export function decodeSaslName(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new ScramError('invalid username encoding');
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** Splits `k=v,k=v` into ordered attributes; every part must be `<letter>=...`. */
export function parseAttributes(msg: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of msg.split(',')) {
    if (!/^[a-zA-Z]=/.test(part)) throw new ScramError(`invalid SCRAM message part ${JSON.stringify(part.slice(0, 40))}`);
    if (!out.has(part[0]!)) out.set(part[0]!, part.slice(2));
  }
  return out;
}

export interface ClientFirst {
  authzid: string;
  username: string;
  nonce: string;
  /** client-first-message-bare: what goes into AuthMessage. */
  bare: string;
}

/** `n,[a=<authzid>],n=<saslname>,r=<nonce>[,extensions]`; only the gs2 flag `n` (no channel binding). */
export function parseClientFirst(msg: string): ClientFirst {
  const m = /^n,(a=([^,]*))?,(n=[^,]*,r=[^,]*(,.*)?)$/.exec(msg);
  if (!m) throw new ScramError('invalid SCRAM client-first message');
  const bare = m[3]!;
  const attrs = parseAttributes(bare);
  const username = decodeSaslName(attrs.get('n') ?? '');
  const nonce = attrs.get('r') ?? '';
  if (username === '' || nonce === '' || !/^[\x21-\x2b\x2d-\x7e]+$/.test(nonce)) throw new ScramError('invalid SCRAM client-first message');
  return { authzid: m[2] === undefined ? '' : decodeSaslName(m[2]), username, nonce, bare };
}

export interface ClientFinal {
  channelBinding: string;
  nonce: string;
  proof: Buffer;
  withoutProof: string;
}

export function parseClientFinal(msg: string): ClientFinal {
  const m = /^(c=([^,]*),r=([^,]*)(,.*)?),p=([A-Za-z0-9+/=]+)$/.exec(msg);
  if (!m) throw new ScramError('invalid SCRAM client-final message');
  return { withoutProof: m[1]!, channelBinding: m[2]!, nonce: m[3]!, proof: Buffer.from(m[5]!, 'base64') };
}

/** Accepts the proof iff H(ClientSignature XOR proof) == StoredKey, compared in constant time. */
export function verifyClientProof(m: ScramMechanism, cred: ScramCredential, authMessage: string, proof: Buffer): boolean {
  const signature = hmac(m, cred.storedKey, authMessage);
  if (proof.length !== signature.length) return false;
  const computed = hash(m, xor(signature, proof));
  return computed.length === cred.storedKey.length && crypto.timingSafeEqual(computed, cred.storedKey);
}

export function serverSignature(m: ScramMechanism, serverKey: Buffer, authMessage: string): Buffer {
  return hmac(m, serverKey, authMessage);
}

/** What the client computes: its proof and the server signature it expects. */
export function clientProof(m: ScramMechanism, password: string, salt: Buffer, iterations: number, authMessage: string): { proof: Buffer; serverSignature: Buffer } {
  const salted = saltedPassword(m, password, salt, iterations);
  const clientKey = hmac(m, salted, 'Client Key');
  const storedKey = hash(m, clientKey);
  return { proof: xor(clientKey, hmac(m, storedKey, authMessage)), serverSignature: hmac(m, hmac(m, salted, 'Server Key'), authMessage) };
}
