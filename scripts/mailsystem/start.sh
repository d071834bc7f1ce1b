#!/usr/bin/env bash
# Starts a throwaway Postfix + Dovecot pair that lives entirely in one folder and listens on
# 127.0.0.1 only: the "real mail system" the Custom SMTP Failed Deliveries test runs against.
#
#   scripts/mailsystem/start.sh DIR [--smtp-port N] [--imap-port N] [--smtps-port N] [--imaps-port N] [--password SECRET] [--imap-only]
#                               [--oauth2-introspection-url URL [--oauth2-mechanisms "xoauth2 oauthbearer"]]
#
# --imap-only starts Dovecot alone (about a second instead of four): for tests that put mail into
# the Maildir themselves and only read it over IMAP.
#
# TLS as real servers offer it, with a self-signed certificate made for this run (DIR/tls/cert.pem,
# for mx.example.test and 127.0.0.1): STARTTLS offered on the SMTP and IMAP ports, implicit TLS on
# the SMTPS and IMAPS ports. Logins work with and without TLS.
#
# --oauth2-introspection-url adds OAuth2 logins beside the password: Dovecot offers the SASL
# mechanisms of --oauth2-mechanisms (default xoauth2, what Microsoft 365 offers) and checks each bearer
# token with its oauth2 passdb at that RFC 7662 endpoint (introspection_mode = post; the answer's
# "username" must be the login name and "active" true). Postfix takes SASL from Dovecot, so SMTP AUTH
# offers and checks the same mechanisms. Password logins (PLAIN, LOGIN) work as before.
#
# Prints one JSON line with the ports, the domain and the mailboxes, then returns; the servers keep
# running until scripts/mailsystem/stop.sh DIR. Needs root (Postfix insists on it). Installs the
# Debian packages first when they are missing (apt-get; MAILSYSTEM_NO_INSTALL=1 turns that off).
#
# Mailboxes (domain example.test):
#   sales@example.test   the sender; IMAP login with the password; folders INBOX, Sent, Junk.
#                        Postfix files a copy of everything sales@ sends into its Sent folder
#                        (sender_bcc_maps), as Exchange or Gmail do for mail sent over SMTP.
#   full@example.test    accepted, then refused: "5.2.2 Mailbox full" (an error: transport)
#   slow@example.test    accepted, then deferred ("4.2.1 try again later") until the queue gives up
#                        after a few seconds: a delay report first, then a failure report
#   anything else@example.test: accepted, then bounced as unknown (5.1.1) by the virtual agent
set -euo pipefail

usage() {
	echo "usage: $0 DIR [--smtp-port N] [--imap-port N] [--smtps-port N] [--imaps-port N] [--password SECRET] [--imap-only]" >&2
	echo "       [--oauth2-introspection-url URL [--oauth2-mechanisms LIST]]" >&2
	exit 2
}
[ $# -ge 1 ] || usage
DIR=$1; shift
SMTP_PORT=2525
IMAP_PORT=1143
SMTPS_PORT=2465
IMAPS_PORT=1993
PASSWORD=${MAILSYSTEM_PASSWORD:-sales-not-a-secret}
IMAP_ONLY=0
OAUTH2_URL=""
OAUTH2_MECHANISMS="xoauth2"
while [ $# -gt 0 ]; do
	case "$1" in
		--imap-only) IMAP_ONLY=1; shift ;;
		--smtp-port) SMTP_PORT=$2; shift 2 ;;
		--imap-port) IMAP_PORT=$2; shift 2 ;;
		--smtps-port) SMTPS_PORT=$2; shift 2 ;;
		--imaps-port) IMAPS_PORT=$2; shift 2 ;;
		--password) PASSWORD=$2; shift 2 ;;
		--oauth2-introspection-url) OAUTH2_URL=$2; shift 2 ;;
		--oauth2-mechanisms) OAUTH2_MECHANISMS=$2; shift 2 ;;
		*) usage ;;
	esac
done

fail() { echo "mailsystem: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "must run as root (Postfix refuses to start otherwise)"

# --- packages -------------------------------------------------------------------------------------
if ! command -v postfix >/dev/null 2>&1 || [ ! -x /usr/sbin/dovecot ] || [ ! -x /usr/lib/dovecot/imap ] || ! command -v openssl >/dev/null 2>&1; then
	[ "${MAILSYSTEM_NO_INSTALL:-}" = 1 ] && fail "postfix, dovecot-imapd and openssl are not all installed (MAILSYSTEM_NO_INSTALL=1). Install them with: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postfix dovecot-imapd openssl"
	echo "mailsystem: installing postfix and dovecot-imapd (apt-get)..." >&2
	export DEBIAN_FRONTEND=noninteractive
	if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends postfix dovecot-imapd openssl; } >"${TMPDIR:-/tmp}/mailsystem-apt.log" 2>&1; then
		tail -20 "${TMPDIR:-/tmp}/mailsystem-apt.log" >&2 || true
		fail "could not install postfix and dovecot-imapd with apt-get (log: ${TMPDIR:-/tmp}/mailsystem-apt.log)"
	fi
fi
id postfix >/dev/null 2>&1 || fail "the postfix user is missing; reinstall the postfix package"
getent group postdrop >/dev/null 2>&1 || fail "the postdrop group is missing; reinstall the postfix package"

# --- folders ----------------------------------------------------------------------------------------
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
[ -e "$DIR/postfix/main.cf" ] && fail "$DIR already holds a mail system; stop it and use a fresh folder"
# Postfix refuses to work below a folder that others cannot enter (mkdtemp gives 0700).
chmod 0755 "$DIR"
MAIL_UID=$(id -u nobody)
MAIL_GID=$(id -g nobody)
mkdir -p "$DIR/postfix" "$DIR/spool" "$DIR/data" "$DIR/log" "$DIR/mail" "$DIR/dovecot/run" "$DIR/dovecot/state"
chown postfix:postfix "$DIR/data"
chown "$MAIL_UID:$MAIL_GID" "$DIR/mail"
chmod 0755 "$DIR/postfix" "$DIR/spool" "$DIR/log" "$DIR/dovecot"

# --- TLS certificate --------------------------------------------------------------------------------
mkdir -p "$DIR/tls"
if ! openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mx.example.test" \
	-addext "subjectAltName=DNS:mx.example.test,IP:127.0.0.1" \
	-keyout "$DIR/tls/key.pem" -out "$DIR/tls/cert.pem" >"$DIR/log/openssl.out" 2>&1; then
	cat "$DIR/log/openssl.out" >&2 || true
	fail "could not make the self-signed certificate (openssl)"
fi
chmod 0644 "$DIR/tls/cert.pem"
chmod 0600 "$DIR/tls/key.pem"
DH_LINE=""
[ -r /usr/share/dovecot/dh.pem ] && DH_LINE="ssl_dh = </usr/share/dovecot/dh.pem"

# --- Postfix ------------------------------------------------------------------------------------------
cat >"$DIR/postfix/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $DIR/spool
data_directory = $DIR/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = $DIR/log/postfix.log
maillog_file_prefixes = $DIR/log
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.example.test
mydomain = example.test
myorigin = example.test
mydestination =
mynetworks = 127.0.0.0/8
relay_domains =
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtputf8_enable = no
smtpd_banner = \$myhostname ESMTP throwaway test server
virtual_mailbox_domains = example.test
virtual_mailbox_base = $DIR/mail
virtual_mailbox_maps = texthash:$DIR/postfix/vmailbox
virtual_uid_maps = static:$MAIL_UID
virtual_gid_maps = static:$MAIL_GID
virtual_minimum_uid = 1
transport_maps = texthash:$DIR/postfix/transport
sender_bcc_maps = texthash:$DIR/postfix/sender_bcc
# Accept unknown local users and bounce them afterwards, as a relay or a server with a backend
# directory does, so the sender gets a real report instead of a synchronous 550.
smtpd_reject_unlisted_recipient = no
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $DIR/dovecot/run/auth-postfix
smtpd_tls_security_level = may
smtpd_tls_cert_file = $DIR/tls/cert.pem
smtpd_tls_key_file = $DIR/tls/key.pem
smtpd_tls_auth_only = no
smtpd_relay_restrictions = permit_sasl_authenticated, permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = permit_sasl_authenticated, permit_mynetworks, reject
# Seconds instead of days, so "delayed" and then "failed" reports come while a test waits.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
delay_warning_time = 1s
maximal_queue_lifetime = 8s
bounce_queue_lifetime = 8s
EOF

cat >"$DIR/postfix/master.cf" <<EOF
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
127.0.0.1:$SMTPS_PORT inet n - n - - smtpd -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt
pickup     unix  n - n 60 1 pickup
tlsmgr     unix  - - n 1000? 1 tlsmgr
cleanup    unix  n - n - 0 cleanup
qmgr       unix  n - n 300 1 qmgr
rewrite    unix  - - n - - trivial-rewrite
bounce     unix  - - n - 0 bounce
defer      unix  - - n - 0 bounce
trace      unix  - - n - 0 bounce
verify     unix  - - n - 1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n - - proxymap
proxywrite unix  - - n - 1 proxymap
smtp       unix  - - n - - smtp
relay      unix  - - n - - smtp
showq      unix  n - n - - showq
error      unix  - - n - - error
retry      unix  - - n - - error
discard    unix  - - n - - discard
virtual    unix  - n n - - virtual
anvil      unix  - - n - 1 anvil
scache     unix  - - n - 1 scache
postlog    unix-dgram n - n - 1 postlogd
EOF

cat >"$DIR/postfix/vmailbox" <<EOF
sales@example.test example.test/sales/
sales-sent@example.test example.test/sales/.Sent/
full@example.test example.test/full/
slow@example.test example.test/slow/
EOF
cat >"$DIR/postfix/transport" <<EOF
full@example.test error:5.2.2 Mailbox full
slow@example.test retry:4.2.1 Mailbox temporarily unavailable, try again later
EOF
cat >"$DIR/postfix/sender_bcc" <<EOF
sales@example.test sales-sent@example.test
EOF

# --- Dovecot ------------------------------------------------------------------------------------------
printf 'sales@example.test:{PLAIN}%s\n' "$PASSWORD" >"$DIR/dovecot/users"
chown root:dovecot "$DIR/dovecot/users"
chmod 0640 "$DIR/dovecot/users"
AUTH_MECHANISMS="plain login"
OAUTH2_PASSDB=""
OAUTH2_AUTH=""
PASSWORD_ONLY=""
if [ -n "$OAUTH2_URL" ]; then
	case "$OAUTH2_URL" in http://* | https://*) ;; *) fail "--oauth2-introspection-url must be an http(s) URL" ;; esac
	for mechanism in $OAUTH2_MECHANISMS; do
		case "$mechanism" in xoauth2 | oauthbearer) ;; *) fail "--oauth2-mechanisms takes xoauth2 and/or oauthbearer, not $mechanism" ;; esac
	done
	AUTH_MECHANISMS="plain login $OAUTH2_MECHANISMS"
	cat >"$DIR/dovecot/oauth2.conf.ext" <<EOF
introspection_mode = post
introspection_url = $OAUTH2_URL
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 5000
EOF
	chmod 0644 "$DIR/dovecot/oauth2.conf.ext"
	OAUTH2_PASSDB="passdb {
  driver = oauth2
  mechanisms = $OAUTH2_MECHANISMS
  args = $DIR/dovecot/oauth2.conf.ext
}"
	# The password file answers password logins only (never a bearer token taken for a password).
	PASSWORD_ONLY="mechanisms = plain login"
	# A refused token is answered at once (no 2 s failure delay, no growing penalty per IP), so a test
	# can refuse, refresh and retry in a moment; the log says why a login failed.
	OAUTH2_AUTH="auth_failure_delay = 0
auth_verbose = yes
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}"
fi
cat >"$DIR/dovecot/dovecot.conf" <<EOF
base_dir = $DIR/dovecot/run
state_dir = $DIR/dovecot/state
log_path = $DIR/log/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$DIR/tls/cert.pem
ssl_key = <$DIR/tls/key.pem
$DH_LINE
disable_plaintext_auth = no
auth_mechanisms = $AUTH_MECHANISMS
$OAUTH2_AUTH
# No statistics service here: without it every process waits 5 s for one at shutdown.
stats_writer_socket_path =
mail_location = maildir:$DIR/mail/%d/%n
mail_uid = $MAIL_UID
mail_gid = $MAIL_GID
first_valid_uid = 1
first_valid_gid = 1
default_internal_user = dovecot
default_login_user = dovenull
$OAUTH2_PASSDB
passdb {
  driver = passwd-file
  $PASSWORD_ONLY
  args = scheme=PLAIN username_format=%u $DIR/dovecot/users
}
userdb {
  driver = static
  args = uid=$MAIL_UID gid=$MAIL_GID home=$DIR/mail/%d/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
}
EOF

# The sender's Maildir exists before the first message, so IMAP works from the start.
for box in "$DIR/mail/example.test/sales" "$DIR/mail/example.test/sales/.Sent" "$DIR/mail/example.test/sales/.Junk"; do
	mkdir -p "$box/cur" "$box/new" "$box/tmp"
done
touch "$DIR/mail/example.test/sales/.Sent/maildirfolder" "$DIR/mail/example.test/sales/.Junk/maildirfolder"
chown -R "$MAIL_UID:$MAIL_GID" "$DIR/mail"

# --- start ------------------------------------------------------------------------------------------
# The daemons must not keep our stdout / stderr open: whoever runs this script waits for them to close.
/usr/sbin/dovecot -c "$DIR/dovecot/dovecot.conf" </dev/null >>"$DIR/log/dovecot-start.out" 2>&1 || { cat "$DIR/log/dovecot-start.out" >&2 || true; tail -20 "$DIR/log/dovecot.log" >&2 || true; fail "dovecot did not start"; }
if [ "$IMAP_ONLY" != 1 ] && ! /usr/sbin/postfix -c "$DIR/postfix" start </dev/null >"$DIR/log/postfix-start.out" 2>&1; then
	cat "$DIR/log/postfix-start.out" >&2 || true
	tail -20 "$DIR/log/postfix.log" >&2 || true
	/usr/sbin/dovecot -c "$DIR/dovecot/dovecot.conf" stop >/dev/null 2>&1 || true
	fail "postfix did not start"
fi

# Wait until both answer on their ports.
ready() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 1 100); do
	if { [ "$IMAP_ONLY" = 1 ] || { ready "$SMTP_PORT" && ready "$SMTPS_PORT"; }; } && ready "$IMAP_PORT" && ready "$IMAPS_PORT"; then
		printf '{"dir":"%s","host":"127.0.0.1","smtpPort":%s,"imapPort":%s,"smtpsPort":%s,"imapsPort":%s,"tlsCert":"%s","domain":"example.test","sender":"sales@example.test","refusing":"full@example.test","deferring":"slow@example.test","queueLifetimeSeconds":8}\n' "$DIR" "$SMTP_PORT" "$IMAP_PORT" "$SMTPS_PORT" "$IMAPS_PORT" "$DIR/tls/cert.pem"
		exit 0
	fi
	sleep 0.1
done
tail -20 "$DIR/log/postfix.log" "$DIR/log/dovecot.log" >&2 || true
"$(dirname "$0")/stop.sh" "$DIR" || true
fail "the servers did not open 127.0.0.1:$SMTP_PORT (SMTP), $SMTPS_PORT (SMTPS), $IMAP_PORT (IMAP) and $IMAPS_PORT (IMAPS) within 10 s"
