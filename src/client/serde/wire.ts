/**
 * Confluent's wire format: byte 0 is the magic byte 0, bytes 1-4 the schema id (big-endian
 * int32), then the Avro binary encoding.
 */
import { ProjectError } from '../../common/errors.js';

export const MAGIC_BYTE = 0;

/** A record's bytes could not be turned into a value (or a value into bytes). */
export class SerializationError extends ProjectError {}

export function frame(id: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + payload.length);
  out[0] = MAGIC_BYTE;
  out.writeInt32BE(id, 1);
  payload.copy(out, 5);
  return out;
}

export function unframe(buf: Buffer): { id: number; payload: Buffer } {
  if (buf.length < 5) throw new SerializationError(`not Confluent's Avro wire format: ${buf.length} bytes, fewer than the 5 of the header`);
  if (buf[0] !== MAGIC_BYTE) throw new SerializationError(`not Confluent's Avro wire format: magic byte ${buf[0]}, expected 0`);
  return { id: buf.readInt32BE(1), payload: buf.subarray(5) };
}
