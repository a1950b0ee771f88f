#!/usr/bin/env bash
# The Kafka source against a real Kafka-compatible broker: installs tansu (cargo install, once,
# into $TANSU_ROOT), starts it in memory on a free loopback port, runs the `kafka` test
# (crates/lockstep-cli/tests/kafka.rs) with the `kafka` feature, and stops the broker.
# Too slow for CI on a clean machine (tansu and librdkafka build from source); run it by hand:
#   scripts/kafka_test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=${TANSU_ROOT:-$HOME/.cache/lockstep/tansu}
# tansu's in-memory storage engine is its `dynostore` feature (not a default one).
if [ ! -f "$root/.with-dynostore" ]; then
  echo "installing tansu into $root (about 20 minutes on 2 cores)" >&2
  cargo install tansu --locked --features dynostore --root "$root" --force
  touch "$root/.with-dynostore"
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
"$root/bin/tansu" broker --storage-engine memory://tansu/ \
  --listener-url "tcp://127.0.0.1:$port" --advertised-listener-url "tcp://127.0.0.1:$port" >"$log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 $broker 2>/dev/null || { cat "$log" >&2; echo "tansu did not start" >&2; exit 1; }
  sleep 0.1
done
LOCKSTEP_KAFKA_BROKERS="127.0.0.1:$port" \
  cargo test -p lockstep-cli --features kafka --test kafka -- --nocapture
