#!/usr/bin/env bash
# Builds the native CRC32C (src/protocol/records/crc32c.c, a Node-API module using SSE4.2's
# crc32 instruction over three interleaved streams) into dist/src/protocol/records/crc32c.node,
# where crc.ts looks for it. Run by scripts/setup.sh and `npm run build` after tsc.
# Optional: where it cannot be built (no C compiler, no Node headers, not x86-64), it says why
# on one line and exits 0, and CRC32C runs on @node-rs/crc32 instead (about a quarter of the speed
# on 16 KiB batches here). ZKAFKA_CRC32C=node-rs selects the fallback at run time.
set -uo pipefail
cd "$(dirname "$0")/.."
src=src/protocol/records/crc32c.c
out=dist/src/protocol/records/crc32c.node
skip() {
  echo "build-native: $1; CRC32C uses @node-rs/crc32 instead" >&2
  rm -f "$out"
  exit 0
}
[ "$(node -p process.arch)" = x64 ] || skip "not x86-64 ($(node -p process.arch))"
cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 || skip "no C compiler ($cc)"
# Node's headers: beside the binary (/usr/bin/node -> /usr/include/node, as Debian's nodejs ships them)
include=$(node -p "require('path').resolve(process.execPath, '../../include/node')")
[ -f "$include/node_api.h" ] || skip "no Node headers at $include"
mkdir -p "$(dirname "$out")"
"$cc" -O2 -fPIC -shared -Wall -I"$include" -o "$out.tmp" "$src" || { rm -f "$out.tmp"; skip "$cc failed on $src"; }
mv "$out.tmp" "$out"
node -e "const m = require('./$out'); if (typeof m.crc32c !== 'function' || m.crc32c(Buffer.from('123456789')) !== 0xe3069283) process.exit(1)" \
  || skip "the built module does not load or computes a wrong check value on this CPU"
