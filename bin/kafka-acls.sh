#!/usr/bin/env bash
. "$(dirname "$0")/_run.sh"
run_tool kafka-acls "$@"
