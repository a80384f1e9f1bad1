#!/usr/bin/env bash
# Runs the arena-jcstress suite through io.arenaalloc.jcstress.JCStressGate; exits non-zero when any test has
# a FORBIDDEN outcome or an ERROR (or, for "selftest", when a negative control was NOT caught).
#
#   arena-jcstress/run-jcstress.sh [ci|selftest|default|tough] [more jcstress options...]
#
#   ci        short mode for CI on 2 cores (the gate's --ci preset)                    [default]
#   selftest  the Broken* negative controls, --ci preset; passes only if jcstress catches each of them
#   default   jcstress -m default on all CPUs (split compilation modes, 5 x 1 s a fork): for humans
#   tough     jcstress -m tough on all CPUs (10 forks a config)
#
# Builds target/jcstress.jar first (mvn -o; set JCSTRESS_BUILD=0 to skip). Results: target/jcstress-run/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
mode=${1:-ci}
[[ $# -gt 0 ]] && shift
case "$mode" in
  ci)       args=(--ci) ;;
  selftest) args=(--ci --expect-forbidden) ;;
  default)  args=(-m default) ;;
  tough)    args=(-m tough) ;;
  *) sed -n '2,13p' "$0" >&2; exit 2 ;;
esac
if [[ ${JCSTRESS_BUILD:-1} == 1 ]]; then
  (cd "$root" && mvn -B -q -o -pl arena-jcstress -am -DskipTests package)
fi
mkdir -p "$here/target/jcstress-run"
cd "$here/target/jcstress-run"
exec java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -jar ../jcstress.jar -r results "${args[@]}" "$@"
