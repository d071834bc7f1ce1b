#!/usr/bin/env bash
# Stops the Postfix + Dovecot pair started by scripts/mailsystem/start.sh DIR; removes DIR unless
# --keep is given. Only touches the processes of that folder (their own pid files).
#   scripts/mailsystem/stop.sh DIR [--keep]
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: $0 DIR [--keep]" >&2; exit 2; }
DIR=$1
KEEP=${2:-}
[ -d "$DIR" ] || exit 0
DIR=$(cd "$DIR" && pwd)

# Only a Postfix that runs (not with --imap-only) is asked to stop: asking costs seconds otherwise.
if [ -f "$DIR/postfix/main.cf" ] && [ -f "$DIR/spool/pid/master.pid" ]; then
	/usr/sbin/postfix -c "$DIR/postfix" stop >/dev/null 2>&1 || true
fi
if [ -f "$DIR/dovecot/dovecot.conf" ]; then
	/usr/sbin/dovecot -c "$DIR/dovecot/dovecot.conf" stop >/dev/null 2>&1 || true
fi

# Wait for the masters to go; kill them (by their own pid files) if they linger.
for pidfile in "$DIR/spool/pid/master.pid" "$DIR/dovecot/run/master.pid"; do
	[ -f "$pidfile" ] || continue
	pid=$(tr -d ' \n' <"$pidfile")
	[ -n "$pid" ] || continue
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
done

if [ "$KEEP" != "--keep" ]; then
	rm -rf "$DIR"
fi
exit 0
