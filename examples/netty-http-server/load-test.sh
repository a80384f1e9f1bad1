#!/usr/bin/env bash
# Runs the wrk load test of the example HTTP server: ArenaByteBufAllocator beside Netty's PooledByteBufAllocator.
#
#   examples/netty-http-server/load-test.sh                 # full mode: 3 rounds x 3 scenarios x 15 s per allocator
#   examples/netty-http-server/load-test.sh --mode ci       # the CI version (under a minute, paranoid leak detection)
#   examples/netty-http-server/load-test.sh --allocators arena,pooled,adaptive --duration 30 --out /tmp/load
#
# Steps: compile the reactor (arena-core, arena-threads, arena-netty, this example), write the runtime class path,
# run io.arenaalloc.examples.http.LoadTest (it installs wrk with apt-get when missing and running as root, starts
# each server as its own JVM on 127.0.0.1, and writes netty-load.md and netty-load.json into --out,
# by default examples/netty-http-server/target/netty-load). JAVA_HOME picks the JVM for both sides.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
module="$root/examples/netty-http-server"
cp_file="$module/target/classpath.txt"
mkdir -p "$module/target"
mvn -B -q -pl examples/netty-http-server -am compile dependency:build-classpath \
    -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=runtime
cp="$module/target/classes:$(cat "$cp_file")"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
args=("$@")
case " $* " in *" --mode "*) ;; *) args=(--mode full "${args[@]}") ;; esac
case " $* " in *" --out "*) ;; *) args+=(--out "$module/target/netty-load") ;; esac
exec "$java" --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp "$cp" \
    io.arenaalloc.examples.http.LoadTest --java "$java" --classpath "$cp" "${args[@]}"
