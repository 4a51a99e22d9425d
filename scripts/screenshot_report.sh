#!/bin/sh
# Renders an `aepo report` HTML file in headless Chromium, saves a PNG and fails on console errors
# or network requests.
# Usage: scripts/screenshot_report.sh REPORT.html [OUT.png] [WIDTH,HEIGHT]
# Needs Chromium (Debian: apt-get install -y chromium).
set -eu
html=$1
png=${2:-${html%.html}.png}
size=${3:-1600,2600}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome)
# Console messages go to stderr as "CONSOLE(...)" / ":INFO:CONSOLE" lines at --v=0.
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --enable-logging=stderr --v=0 \
    --window-size="$size" --screenshot="$png" "file://$(realpath "$html")" 2>"$log" >/dev/null || true
if [ ! -s "$png" ]; then
    echo "no screenshot written; browser log:" >&2
    cat "$log" >&2
    exit 1
fi
errors=$(grep -E "CONSOLE|Uncaught|ERR_" "$log" | grep -vE "dbus|Fontconfig" || true)
if [ -n "$errors" ]; then
    echo "console errors:" >&2
    echo "$errors" >&2
    exit 1
fi
echo "wrote $png; no console errors"
