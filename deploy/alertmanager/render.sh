#!/bin/sh
# render.sh TEMPLATE OUTPUT: Alertmanager's configuration from TEMPLATE with every
# ${VARIABLE} replaced by its value in the environment (quoted for a YAML '...' string),
# and the lines marked `# if VARIABLE` left out while that variable is empty. Runs in the
# alertmanager container (busybox sh and awk) and in the tests (dash, mawk).
set -eu
if [ -z "${ALERT_WEBHOOK_URL:-}" ] && [ -z "${ALERT_EMAIL_TO:-}" ]; then
    echo "alertmanager: set ALERT_WEBHOOK_URL or ALERT_EMAIL_TO (.env): alerts would go nowhere" >&2
    exit 2
fi
awk '
    match($0, /# if [A-Z_]+$/) {
        name = substr($0, RSTART + 5)
        if (ENVIRON[name] == "") next
        sub(/ *# if [A-Z_]+$/, "")
    }
    {
        line = ""
        while (match($0, /\$\{[A-Z_]+\}/)) {
            value = ENVIRON[substr($0, RSTART + 2, RLENGTH - 3)]
            gsub(/'\''/, "'\'''\''", value)  # YAML single quotes: '' is one quote
            line = line substr($0, 1, RSTART - 1) value
            $0 = substr($0, RSTART + RLENGTH)
        }
        print line $0
    }
' "$1" > "$2"
