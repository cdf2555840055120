#!/usr/bin/env bash
# Installs writ's build and test dependencies from Debian packages. Idempotent: a second run
# installs nothing and finishes in a second.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git python3
  clang-14 libclang-rt-14-dev lld-14
  tao-pegtl-dev libyaml-cpp-dev nlohmann-json3-dev libssl-dev libcurl4-openssl-dev
  libfmt-dev catch2 libcli11-dev libcpp-httplib-dev libbenchmark-dev openssl
  python3-jsonschema python3-yaml time ccache prometheus prometheus-alertmanager cmark-gfm
  libpq-dev postgresql
)
if [[ "${WRIT_WITH_CHROMIUM:-0}" == 1 ]]; then packages+=(chromium); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "deps: installing ${#missing[@]} packages: ${missing[*]}"
SUDO=""
if [[ $(id -u) != 0 ]]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
# apt and dpkg talk a lot even with -qq: their output goes to a log, shown only on failure.
log_dir=$(cd "$(dirname "$0")/.." && pwd)/build
mkdir -p "$log_dir"
log=$log_dir/deps-apt.log
start=$SECONDS
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  echo "deps: apt-get failed; the last lines of $log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
echo "deps: installed ${#missing[@]} packages in $((SECONDS - start)) s (apt log: $log)"
