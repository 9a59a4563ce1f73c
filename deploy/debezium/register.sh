#!/bin/sh
# Registers the Debezium connector described by $1 (connector.json) with Kafka Connect at
# $CONNECT_URL, then waits until the connector and its task report RUNNING.
#
# Idempotent: a connector that already exists (HTTP 409) is left as it is; to change its
# config, PUT the "config" object to $CONNECT_URL/connectors/$CONNECTOR_NAME/config.
# Exits non-zero when registration is refused or the connector fails, so that
# `docker compose ps -a` shows the failure and `docker compose logs register-connector`
# shows Connect's reason.
set -eu

file=${1:?usage: register.sh connector.json}
url=${CONNECT_URL:-http://connect:8083}
name=${CONNECTOR_NAME:?CONNECTOR_NAME must name the connector in $file}
timeout=${REGISTER_TIMEOUT_SECONDS:-120}

out=$(mktemp)
trap 'rm -f "$out"' EXIT
# --data-binary: --data would strip the file's newlines.
code=$(curl -sS -o "$out" -w '%{http_code}' -X POST \
  -H 'Content-Type: application/json' --data-binary "@$file" "$url/connectors")
case "$code" in
  201) echo "registered connector $name" ;;
  409) echo "connector $name already exists; leaving its config unchanged" ;;
  *) echo "registering $file at $url/connectors failed: HTTP $code" >&2
     cat "$out" >&2; echo >&2
     exit 1 ;;
esac

waited=0
while [ "$waited" -lt "$timeout" ]; do
  status=$(curl -sS "$url/connectors/$name/status" || true)
  case "$status" in
    *'"state":"FAILED"'*)
      echo "connector $name failed: $status" >&2
      exit 1 ;;
  esac
  # RUNNING twice: once for the connector, once for its task.
  running=$(printf '%s' "$status" | grep -o '"state":"RUNNING"' | wc -l)
  if [ "$running" -ge 2 ]; then
    echo "connector $name is running: $status"
    exit 0
  fi
  sleep 2
  waited=$((waited + 2))
done
echo "connector $name not running after ${timeout}s: $status" >&2
exit 1
