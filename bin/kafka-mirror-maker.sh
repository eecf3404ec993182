#!/usr/bin/env bash
# The mirror keeps every record in memory until the target acknowledged it: a larger young
# generation lets most of them die there (about 15% less CPU per record than Node's default);
# an initial old generation of 128 MB keeps V8 from running full collections back to back, as
# for the broker (src/broker/heap-opts.ts): with one stream 0.73-0.75 -> 0.56-0.61 us of CPU
# per record (mirror bench, 1 M records).
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:-"--initial-old-space-size=128 --max-semi-space-size=64"}
. "$(dirname "$0")/_run.sh"
run_tool kafka-mirror-maker "$@"
