/**
 * The project's Node-API modules (scripts/build-native.sh builds them into dist/): loaded from
 * beside the calling file in dist, or from dist's copy when the caller runs from src (vitest).
 * Each is optional: undefined when it is not built here, and the caller falls back.
 */
import { createRequire } from 'node:module';

/**
 * The module's export `name`, from the first of `candidates` (paths relative to `fromUrl`, the
 * caller's import.meta.url) that loads; undefined when none does.
 */
export function loadNativeExport<T>(fromUrl: string, candidates: readonly string[], name: string): T | undefined {
  const require = createRequire(fromUrl);
  for (const file of candidates) {
    try {
      const fn = (require(file) as Record<string, unknown>)[name];
      if (fn !== undefined) return fn as T;
    } catch {
      // not built here: the next candidate
    }
  }
  return undefined;
}
