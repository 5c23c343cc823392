#!/bin/sh
# lifecycle.sh — a job's edges: tiny jobs back to back, the output's name and mode, a
# master killed while it starts, causes that reach the operator.
. "$TESTLIB"

plan 1
check "blur runs" '"$BLUR" --version > /dev/null'

finish
