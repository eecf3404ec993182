/**
 * What Confluent's HTTP services share (the schema registry, src/registry/, and the REST proxy,
 * src/rest/): errors answered as `{"error_code":N,"message":"..."}` with an HTTP status, and an
 * http.Server's listen and close.
 */
import type http from 'node:http';
import { ProjectError } from './errors.js';

export class ConfluentHttpError extends ProjectError {
  readonly status: number;
  readonly errorCode: number;
  constructor(status: number, errorCode: number, message: string, cause?: unknown) {
    super(message, { cause, context: { errorCode } });
    this.status = status;
    this.errorCode = errorCode;
  }
  body(): string {
    return JSON.stringify({ error_code: this.errorCode, message: this.message });
  }
}

/** Listens on host:port (0: a free port); resolves to the port. */
export function listenHttp(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as { port: number }).port));
  });
}

/** Closes the server and every connection it has, idle or not. */
export function closeHttp(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
