/**
 * Confluent REST Proxy's error answers: every error is `{"error_code":N,"message":"..."}`, with
 * the HTTP status in N's first three digits (40401 is a 404). The codes are kafka-rest's
 * (docs/api.rst, Errors.java): 40401 topic not found, 40402 partition not found, 40403 consumer
 * instance not found, 40601 consumer format does not match the Accept header, 40902 instance
 * exists, 40903 topics, partitions and pattern are mutually exclusive, 42201 / 42202 key / value
 * schema missing, 42203 JSON conversion failed, 42204 invalid consumer configuration, 42205
 * invalid schema, 50001 ZooKeeper error, 50002 Kafka error, 50003 retriable Kafka error.
 * Errors of HTTP itself (a body that is not JSON, an unknown path, a content type no resource
 * consumes, a body over the limit) carry the plain status as their code, as Jersey's do.
 */
import { ConfluentHttpError } from '../common/confluent-http.js';

export class RestError extends ConfluentHttpError {}

export const Errors = {
  topicNotFound: (t: string) => new RestError(404, 40401, `Topic ${t} not found.`),
  partitionNotFound: (t: string, p: number | string) => new RestError(404, 40402, `Partition ${p} of topic ${t} not found.`),
  consumerInstanceNotFound: (g: string, i: string) => new RestError(404, 40403, `Consumer instance ${i} of group ${g} not found.`),
  formatMismatch: (format: string, asked: string) =>
    new RestError(406, 40601, `The requested embedded data format (${asked}) does not match the deserializer for this consumer instance (${format}).`),
  notAcceptable: (accept: string) => new RestError(406, 406, `HTTP 406 Not Acceptable: this resource answers application/vnd.kafka.v2+json, not ${accept}`),
  consumerExists: (g: string, i: string) => new RestError(409, 40902, `Consumer instance with the specified name already exists: ${i} in group ${g}.`),
  mutuallyExclusive: () => new RestError(409, 40903, 'Subscription to topics, partitions and pattern are mutually exclusive.'),
  notSubscribed: (i: string) => new RestError(409, 409, `Consumer instance ${i} is not subscribed to any topic: POST .../subscription first.`),
  keySchemaMissing: () => new RestError(422, 42201, 'Request includes keys but does not include key schema'),
  valueSchemaMissing: () => new RestError(422, 42202, 'Request includes values but does not include value schema'),
  jsonConversion: (why: string) => new RestError(422, 42203, `Conversion of JSON to Avro failed: ${why}`),
  invalidConsumerConfig: (why: string) => new RestError(422, 42204, `Invalid consumer configuration: ${why}`),
  invalidSchema: (why: string) => new RestError(422, 42205, `Invalid schema: ${why}`),
  unprocessable: (why: string) => new RestError(422, 422, why),
  zookeeper: (cause: unknown) => new RestError(500, 50001, `Zookeeper error: ${(cause as Error)?.message ?? String(cause)}`, cause),
  kafka: (cause: unknown) => new RestError(500, 50002, `Kafka error: ${(cause as Error)?.message ?? String(cause)}`, cause),
  kafkaRetriable: (cause: unknown) => new RestError(500, 50003, `Kafka error (retriable): ${(cause as Error)?.message ?? String(cause)}`, cause),
  badJson: (why: string) => new RestError(400, 400, `Unrecognized JSON in the request body: ${why}`),
  notFound: () => new RestError(404, 404, 'HTTP 404 Not Found'),
  methodNotAllowed: () => new RestError(405, 405, 'HTTP 405 Method Not Allowed'),
  tooLarge: (limit: number) => new RestError(413, 413, `Request body exceeds ${limit} bytes (request.max.bytes)`),
  unsupportedMediaType: (ct: string, accepted: readonly string[]) =>
    new RestError(415, 415, `HTTP 415 Unsupported Media Type: ${ct || '(none)'}; this resource takes ${accepted.join(', ')}`),
  unavailable: (why: string) => new RestError(503, 503, why),
};
