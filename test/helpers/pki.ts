/**
 * A throwaway PKI made with openssl at test time: a CA, a broker certificate for 127.0.0.1 /
 * localhost (its PKCS#8 key and chain also in one PEM file, Kafka's ssl.keystore.location), and
 * a client certificate for mutual TLS with subject /O=Acme/OU=eng/CN=<client>.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Pki {
  dir: string;
  caCrt: string;
  brokerKey: string;
  brokerCrt: string;
  /** key + certificate in one file */
  brokerPem: string;
  clientKey: string;
  clientCrt: string;
  clientPem: string;
  /** Kafka's principal for the client certificate. */
  clientPrincipal: string;
  remove(): void;
}

const openssl = (args: string[], cwd: string): void => {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
};

export function makePki(client = 'carol'): Pki {
  const dir = mkdtempSync(path.join(tmpdir(), 'zkafka-pki-'));
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/CN=test-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', '/CN=localhost'], dir);
  writeFileSync(path.join(dir, 'broker.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  openssl(['x509', '-req', '-in', 'broker.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'broker.crt', '-days', '30', '-sha256', '-extfile', 'broker.ext'], dir);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', `/O=Acme/OU=eng/CN=${client}`], dir);
  writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '30', '-sha256', '-extfile', 'client.ext'], dir);
  const p = (f: string): string => path.join(dir, f);
  writeFileSync(p('broker.pem'), readFileSync(p('broker.key'), 'utf8') + readFileSync(p('broker.crt'), 'utf8'));
  writeFileSync(p('client.pem'), readFileSync(p('client.key'), 'utf8') + readFileSync(p('client.crt'), 'utf8'));
  return {
    dir,
    caCrt: p('ca.crt'),
    brokerKey: p('broker.key'),
    brokerCrt: p('broker.crt'),
    brokerPem: p('broker.pem'),
    clientKey: p('client.key'),
    clientCrt: p('client.crt'),
    clientPem: p('client.pem'),
    clientPrincipal: `User:CN=${client},OU=eng,O=Acme`,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
