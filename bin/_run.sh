# Sourced by the bin/ entry points: runs dist/src/bin/<tool>.js with the given arguments.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run_tool() {
  local tool=$1; shift
  local js="$here/dist/src/bin/$tool.js"
  [ -f "$js" ] || { echo "$tool: not built; run scripts/setup.sh first" >&2; exit 1; }
  exec node "$js" "$@"
}
