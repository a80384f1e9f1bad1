#!/usr/bin/env bash
# Same-JVM A/B of two arena-core builds on churn-small (256) or churn-mixed (16384). See SameJvmAB.java.
#
#   tools/same-jvm-ab/run.sh MAX_SIZE CLASSES_A CLASSES_B [ROUNDS]
#
# CLASSES_A/B: arena-core class directories of the two builds, e.g. for A = main, B = this tree:
#   git worktree add /tmp/a main && (cd /tmp/a && mvn -q -o -pl arena-core compile)
#   mvn -q -o -pl arena-core compile
#   tools/same-jvm-ab/run.sh 256 /tmp/a/arena-core/target/classes arena-core/target/classes
# It runs A B B A, then B A A B (a second JVM with the roles swapped): trust an effect both agree on.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
max="$1"; a="$(cd "$2" && pwd)"; b="$(cd "$3" && pwd)"; rounds="${4:-40}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$root" && mvn -q -o -pl arena-core dependency:build-classpath -Dmdep.includeScope=runtime \
    -Dmdep.outputFile="$work/deps.txt" >/dev/null)
deps="$(cat "$work/deps.txt")"
mkdir -p "$work/loop"
javac -nowarn -cp "$a:$deps" -d "$work/loop" "$here/ChurnLoop.java"
flags=(--add-exports java.base/jdk.internal.misc=ALL-UNNAMED -Xms2g -Xmx2g)
java "${flags[@]}" "$here/SameJvmAB.java" "$max" "$a" "$b" "$work/loop" "$deps" "$rounds"
echo "--- roles swapped (a ratio above 1 here agrees with one below 1 above)"
java "${flags[@]}" "$here/SameJvmAB.java" "$max" "$b" "$a" "$work/loop" "$deps" "$rounds"
