/**
 * Confluent's error bodies and codes: every error answer is `{"error_code":N,"message":"..."}`
 * with the HTTP status N's first three digits (409 is its own code: Confluent's
 * INCOMPATIBLE_SCHEMA_ERROR_CODE is Response.Status.CONFLICT).
 */
import { ConfluentHttpError } from '../common/confluent-http.js';

export class RegistryError extends ConfluentHttpError {}

export const Errors = {
  subjectNotFound: (s: string) => new RegistryError(404, 40401, `Subject '${s}' not found.`),
  versionNotFound: (v: number | string) => new RegistryError(404, 40402, `Version ${v} not found.`),
  schemaNotFound: (id?: number) => new RegistryError(404, 40403, id === undefined ? 'Schema not found' : `Schema ${id} not found`),
  subjectLevelConfigNotFound: (s: string) => new RegistryError(404, 40408, `Subject '${s}' does not have subject-level compatibility configured`),
  incompatible: (subject: string, reasons: readonly string[]) =>
    new RegistryError(409, 409, `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${reasons.join('; ')}]`),
  invalidSchema: (reason: string) => new RegistryError(422, 42201, `Invalid schema: ${reason}`),
  invalidVersion: (v: string) =>
    new RegistryError(422, 42202, `The specified version '${v}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`),
  invalidCompatibility: () =>
    new RegistryError(422, 42203, 'Invalid compatibility level. Valid values are none, backward, forward, full, none_transitive, backward_transitive, forward_transitive, and full_transitive'),
  store: (cause: unknown) => new RegistryError(500, 50001, 'Error in the backend datastore', cause),
  notFound: () => new RegistryError(404, 404, 'HTTP 404 Not Found'),
  methodNotAllowed: () => new RegistryError(405, 405, 'HTTP 405 Method Not Allowed'),
  badJson: (reason: string) => new RegistryError(400, 400, `Unrecognized JSON in the request body: ${reason}`),
  badBody: (reason: string) => new RegistryError(422, 422, reason),
  tooLarge: (limit: number) => new RegistryError(413, 413, `Request body exceeds ${limit} bytes`),
  unsupportedMediaType: (ct: string) => new RegistryError(415, 415, `HTTP 415 Unsupported Media Type: ${ct}`),
};
