/**
 * Our SASL client against a scripted broker: a SCRAM server-first asking for more iterations
 * than SCRAM_CLIENT_MAX_ITERATIONS (a hostile broker, or a man in the middle over
 * SASL_PLAINTEXT, making the client hash for hours) or fewer than 4096 is refused before any
 * hashing; a sane count goes on to the client-final.
 */
import { describe, expect, it } from 'vitest';
import { saslAuthenticate, SaslAuthenticationError } from '../../src/network/sasl-client.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { encodeSaslAuthenticateResponse, encodeSaslHandshakeResponse, decodeSaslAuthenticateRequest } from '../../src/protocol/apis/sasl.js';
import { SCRAM_CLIENT_MAX_ITERATIONS } from '../../src/common/scram.js';

/** A broker that answers the handshake, then a server-first with `iterations`, then an error. */
function scripted(iterations: number) {
  const sent: string[] = [];
  let step = 0;
  const send = async (apiKey: number, _version: number, writeBody: (w: Writer) => void): Promise<Reader> => {
    const body = new Writer(64);
    writeBody(body);
    const w = new Writer(128);
    if (apiKey === 17) encodeSaslHandshakeResponse(w, 1, { errorCode: 0, mechanisms: ['SCRAM-SHA-256'] });
    else {
      const token = decodeSaslAuthenticateRequest(new Reader(body.finish()), 1).toString();
      sent.push(token);
      const cnonce = /r=([^,]+)/.exec(token)![1]!;
      const reply = step++ === 0 ? `r=${cnonce}server,s=${Buffer.from('salt').toString('base64')},i=${iterations}` : 'e=other-error';
      encodeSaslAuthenticateResponse(w, 1, { errorCode: 0, errorMessage: null, authBytes: Buffer.from(reply), sessionLifetimeMs: 0 });
    }
    return new Reader(w.finish());
  };
  return { send, sent };
}

const creds = { mechanism: 'SCRAM-SHA-256' as const, username: 'bob', password: 'pw' };

describe('the SASL client', () => {
  it.each([2_000_000_000, SCRAM_CLIENT_MAX_ITERATIONS + 1, 4095])('refuses a SCRAM server-first asking for %i iterations, at once', async (i) => {
    const { send, sent } = scripted(i);
    const started = Date.now();
    const err = await saslAuthenticate(send, creds, 'broker').then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(SaslAuthenticationError);
    expect((err as Error).message).toContain(`SCRAM iterations ${i} refused`);
    expect(sent).toHaveLength(1); // no client-final
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('goes on to the client-final with a sane count', async () => {
    const { send, sent } = scripted(4096);
    await expect(saslAuthenticate(send, creds, 'broker')).rejects.toThrow(/SCRAM failed: other-error/);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toMatch(/^c=biws,r=[^,]+server,p=/);
  });
});
