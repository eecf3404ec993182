#!/usr/bin/env bash
# Builds the project's three Node-API modules. Run by scripts/setup.sh and `npm run build` after tsc.
#  - the native CRC32C (src/protocol/records/crc32c.c, SSE4.2's crc32 instruction over three
#    interleaved streams) into dist/src/protocol/records/crc32c.node, where crc.ts looks for it;
#    without it CRC32C runs on @node-rs/crc32 (about a quarter of the speed on 16 KiB batches
#    here). ZKAFKA_CRC32C=node-rs selects the fallback at run time.
#  - syncfs(2) (src/storage/syncfs.c) into dist/src/storage/syncfs.node, where syncfs.ts looks
#    for it; without it the broker's grouped flushes call syncfs through a python3 (or sh) helper
#    process. ZKAFKA_SYNCFS=helper selects the helpers at run time.
#  - posix_fadvise DONTNEED (src/storage/page-cache.c) into dist/src/storage/page-cache.node, for
#    log.page.cache.retain.bytes (storage/page-cache.ts); without it the page cache is the kernel's.
# All optional: where one cannot be built (no C compiler, no Node headers, CRC32C: not x86-64),
# it says why on one line, and the script still exits 0.
set -uo pipefail
cd "$(dirname "$0")/.."
cc=${CC:-cc}
# Node's headers: beside the binary (/usr/bin/node -> /usr/include/node, as Debian's nodejs ships them)
include=$(node -p "require('path').resolve(process.execPath, '../../include/node')")

# build NAME SRC OUT CHECK FALLBACK: compiles SRC into OUT and runs the node expression CHECK
# with `m` the loaded module; on any failure removes OUT and says FALLBACK
build() {
  local name=$1 src=$2 out=$3 check=$4 fallback=$5
  skip() {
    echo "build-native: $name: $1; $fallback" >&2
    rm -f "$out"
  }
  command -v "$cc" >/dev/null 2>&1 || { skip "no C compiler ($cc)"; return; }
  [ -f "$include/node_api.h" ] || { skip "no Node headers at $include"; return; }
  mkdir -p "$(dirname "$out")"
  "$cc" -O2 -fPIC -shared -Wall -I"$include" -o "$out.tmp" "$src" || { rm -f "$out.tmp"; skip "$cc failed on $src"; return; }
  mv "$out.tmp" "$out"
  node -e "const m = require('./$out'); Promise.resolve($check).then((ok) => process.exit(ok ? 0 : 1), () => process.exit(1))" \
    || skip "the built module does not load or fails its check on this machine"
}

if [ "$(node -p process.arch)" = x64 ]; then
  build crc32c src/protocol/records/crc32c.c dist/src/protocol/records/crc32c.node \
    "typeof m.crc32c === 'function' && m.crc32c(Buffer.from('123456789')) === 0xe3069283" \
    "CRC32C uses @node-rs/crc32 instead"
else
  echo "build-native: crc32c: not x86-64 ($(node -p process.arch)); CRC32C uses @node-rs/crc32 instead" >&2
  rm -f dist/src/protocol/records/crc32c.node
fi
build syncfs src/storage/syncfs.c dist/src/storage/syncfs.node \
  "m.syncfs(['.']).then(() => m.syncfs(['./no such dir']).then(() => false, (e) => /No such file/.test(e.message)))" \
  "grouped flushes call syncfs through a helper process instead"
build page-cache src/storage/page-cache.c dist/src/storage/page-cache.node \
  "m.dropCache(require('fs').openSync('package.json', 'r'), 0, 4096).then(() => m.dropCache(999999, 0, 4096).then(() => false, (e) => /fadvise: Bad file/.test(e.message)))" \
  "log.page.cache.retain.bytes has no effect (the page cache is left to the kernel)"
exit 0
