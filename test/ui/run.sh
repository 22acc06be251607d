#!/usr/bin/env bash
# make test-ui: the web console's journeys in a real browser, Debian's
# chromium (installed with apt-get when missing), driven by chromedp.
# Screenshots of each page land in test/ui/output/.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null; then
	echo "[ui-test] installing Debian's chromium (once)" >&2
	sudo=()
	[[ $(id -u) -eq 0 ]] || sudo=(sudo)
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get install -y -q --no-install-recommends chromium >/dev/null ||
		{ "${sudo[@]}" apt-get update -q >/dev/null && "${sudo[@]}" apt-get install -y -q --no-install-recommends chromium >/dev/null; }
fi
echo "== the console in $(chromium --version 2>/dev/null)"
go test -count=1 -v -timeout 10m ./test/ui 2>&1 | grep -v '^{'
