# Sourced by the bin/ entry points: runs dist/src/bin/<tool>.js with the given arguments, with
# KAFKA_HEAP_OPTS and KAFKA_OPTS on node's command line (as Kafka's kafka-run-class.sh passes them
# to the JVM; a tool's script may set a default for KAFKA_HEAP_OPTS first), and malloc on huge
# pages (bin/_malloc.sh).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$here/bin/_malloc.sh"
run_tool() {
  local tool=$1; shift
  local js="$here/dist/src/bin/$tool.js"
  [ -f "$js" ] || { echo "$tool: not built; run scripts/setup.sh first" >&2; exit 1; }
  # shellcheck disable=SC2086
  exec node ${KAFKA_HEAP_OPTS:-} ${KAFKA_OPTS:-} "$js" "$@"
}
