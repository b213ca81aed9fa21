#!/usr/bin/env bash
# Runs igbridge against a local Dendrite dev homeserver on 127.0.0.1:8008. Everything lives in ./dev;
# delete it to start over. Called by `make run` after the set-up and the build.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DEV=$ROOT/dev
HS=http://127.0.0.1:8008
USER_NAME=${IGBRIDGE_DEV_USER:-alice}
USER_PASSWORD=${IGBRIDGE_DEV_PASSWORD:-alicepassword}
mkdir -p "$DEV/dendrite"

# The terminal gets the bridge's info lines (no line per HTTP request); dev/logs/bridge.log keeps
# the debug log.
if [ ! -f "$DEV/config.yaml" ]; then
	./igbridge -e -c "$DEV/config.yaml" >/dev/null
	sed -i -e 's#address: http://example.localhost:8008#address: '"$HS"'#' \
		-e 's#domain: example.com#domain: localhost#' \
		-e 's#"example.com": user#"localhost": user#' \
		-e 's#"@admin:example.com": admin#"@'"$USER_NAME"':localhost": admin#' \
		-e 's#^\( *\)- type: stdout$#&\n\1  min_level: info#' "$DEV/config.yaml"
fi
if [ ! -f "$DEV/registration.yaml" ]; then
	./igbridge -g -c "$DEV/config.yaml" -r "$DEV/registration.yaml" >/dev/null
fi

if [ ! -f "$DEV/dendrite/matrix_key.pem" ]; then
	/usr/bin/python3 - "$DEV/dendrite/matrix_key.pem" <<'PY'
import base64, os, sys
with open(sys.argv[1], "w") as f:
    f.write("-----BEGIN MATRIX PRIVATE KEY-----\nKey-ID: ed25519:dev\n\n")
    f.write(base64.b64encode(os.urandom(32)).decode() + "\n-----END MATRIX PRIVATE KEY-----\n")
PY
fi
sed -e "s#@DATA@#$DEV/dendrite#g" -e "s#@REGISTRATION@#$DEV/registration.yaml#" \
	scripts/dendrite-dev.yaml >"$DEV/dendrite/dendrite.yaml"

"$ROOT/.tools/bin/dendrite" -config "$DEV/dendrite/dendrite.yaml" -http-bind-address 127.0.0.1:8008 \
	>"$DEV/dendrite/dendrite.log" 2>&1 &
DENDRITE_PID=$!
trap 'kill $DENDRITE_PID 2>/dev/null; wait $DENDRITE_PID 2>/dev/null' EXIT
for _ in $(seq 100); do
	curl -fs "$HS/_matrix/client/versions" >/dev/null && break
	kill -0 $DENDRITE_PID 2>/dev/null || { tail -20 "$DEV/dendrite/dendrite.log"; exit 1; }
	sleep 0.1
done

# Create the dev user through Dendrite's shared-secret registration (an existing user is fine).
/usr/bin/python3 - "$HS" "$USER_NAME" "$USER_PASSWORD" <<'PY'
import hashlib, hmac, json, sys, urllib.request, urllib.error
hs, user, password = sys.argv[1:4]
url = hs + "/_synapse/admin/v1/register"
nonce = json.load(urllib.request.urlopen(url))["nonce"]
mac = hmac.new(b"test-shared-secret", "\0".join([nonce, user, password, "admin"]).encode(), hashlib.sha1).hexdigest()
body = json.dumps({"nonce": nonce, "username": user, "password": password, "admin": True, "mac": mac}).encode()
try:
    urllib.request.urlopen(urllib.request.Request(url, body, {"Content-Type": "application/json"}))
except urllib.error.HTTPError as e:
    if b"M_USER_IN_USE" not in e.read():
        raise
PY

cat <<MSG

igbridge dev set-up is running.
  Homeserver: $HS (server name "localhost"); its log: dev/dendrite/dendrite.log
  The bridge's debug log: dev/logs/bridge.log
  Log in with any Matrix client (e.g. Element, or gomuks) as @$USER_NAME:localhost, password $USER_PASSWORD.
  Create a room, invite @ig-bot:localhost, and post an Instagram link.
  Bridge config: dev/config.yaml. Stop with Ctrl-C.

MSG
cd "$DEV"
# On a terminal, run the bridge as a job of its own (job control) that owns the terminal: Ctrl-C
# then reaches only the bridge, which shuts down and exits 0, and not make, which would report the
# interrupt as a failure.
[ -t 0 ] && set -m
"$ROOT/igbridge" -c config.yaml -r registration.yaml --ignore-unsupported-server
