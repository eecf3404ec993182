/**
 * Avro schemas through avsc (no hand-written Avro): parsing, the stored form of a schema, and
 * the compatibility rules of Confluent's registry decided with avsc resolvers
 * (`reader.createResolver(writer)` throws when the reader cannot read the writer's data).
 */
import avro from 'avsc';
import { createHash } from 'node:crypto';

export type AvroType = avro.Type;

export const COMPATIBILITY_LEVELS = ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

export function isCompatibilityLevel(v: unknown): v is CompatibilityLevel {
  return typeof v === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(v);
}

/** Parses an Avro schema given as JSON text or as an object; throws with avsc's reason. */
export function parseAvroSchema(schema: string | object): AvroType {
  let obj: unknown = schema;
  if (typeof schema === 'string') {
    try {
      obj = JSON.parse(schema);
    } catch {
      // a bare name such as string (Avro's JSON form of a primitive is "string", quoted)
      obj = schema;
    }
  }
  return avro.Type.forSchema(obj as avro.Schema, { wrapUnions: false });
}

/**
 * The text stored and served for a schema: avsc's JSON with defaults, aliases and the like kept
 * (`exportAttrs`), so two schemas that differ only in a default are different schemas, while
 * spacing and key order do not matter. `{"type":"string"}` becomes `"string"`, as in Confluent.
 */
export function storedSchemaText(type: AvroType): string {
  return JSON.stringify(type.schema({ exportAttrs: true }));
}

/** A hex digest of the stored text: equal schemas, equal fingerprints. */
export function schemaFingerprint(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Whether `reader` can read data written with `writer`; the reason when it cannot. */
export function canRead(reader: AvroType, writer: AvroType): { ok: true } | { ok: false; reason: string } {
  try {
    reader.createResolver(writer);
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

/**
 * Checks `candidate` against the earlier schemas of a subject (oldest first) under `level`.
 * Returns the reasons it fails (empty: compatible). Non-transitive levels look at the latest only.
 */
export function compatibilityProblems(level: CompatibilityLevel, candidate: AvroType, earlier: readonly AvroType[]): string[] {
  if (level === 'NONE' || earlier.length === 0) return [];
  const against = level.endsWith('_TRANSITIVE') ? [...earlier].reverse() : [earlier[earlier.length - 1]!];
  const base = level.replace('_TRANSITIVE', '');
  const problems: string[] = [];
  against.forEach((old, i) => {
    const which = level.endsWith('_TRANSITIVE') ? `version ${earlier.length - i}` : 'the latest version';
    if (base === 'BACKWARD' || base === 'FULL') {
      const r = canRead(candidate, old);
      if (!r.ok) problems.push(`the new schema cannot read data written with ${which}: ${r.reason}`);
    }
    if (base === 'FORWARD' || base === 'FULL') {
      const r = canRead(old, candidate);
      if (!r.ok) problems.push(`${which} cannot read data written with the new schema: ${r.reason}`);
    }
  });
  return problems;
}
