#!/usr/bin/env bash
# The email channel as a new user tries it (issue 6): start `kefu serve --demo` with its SMTP
# listener and a real relay (Debian's aiosmtpd writing a Maildir), email the demo's support
# address with swaks, find the ticket, reply as an agent, receive the reply at the relay with
# its threading headers, signed Reply-To and the PDF the agent attached, answer it with swaks
# and see it thread. The listener offers STARTTLS with a certificate made here (openssl): one
# more mail goes in with `swaks --tls` verifying it, and a plain STARTTLS-less session still works.
# Needs: the built binary (cargo build -p kefu), swaks with TLS (libnet-ssleay-perl),
# python3-aiosmtpd, openssl, curl.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEFU=${KEFU_BIN:-$ROOT/target/debug/kefu}
PY=""
for candidate in /usr/bin/python3 python3; do
    if "$candidate" -c "import aiosmtpd" 2>/dev/null; then PY=$candidate; break; fi
done
[ -n "$PY" ] || { echo "FAIL: python3-aiosmtpd is missing (apt-get install -y python3-aiosmtpd)"; exit 1; }
command -v swaks >/dev/null || { echo "FAIL: swaks is missing (apt-get install -y swaks)"; exit 1; }
[ -x "$KEFU" ] || { echo "FAIL: no kefu binary at $KEFU (cargo build -p kefu)"; exit 1; }
command -v openssl >/dev/null || { echo "FAIL: openssl is missing (apt-get install -y openssl)"; exit 1; }
swaks --support 2>&1 | grep "TLS supported" >/dev/null || { echo "FAIL: swaks cannot do TLS (apt-get install -y libnet-ssleay-perl)"; exit 1; }

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- kefu log"; tail -n 40 "$WORK/kefu.log" || true; exit 1; }

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
HTTP=$(free_port); SMTP=$(free_port); RELAY=$(free_port)
URL="http://127.0.0.1:$HTTP"

# A self-signed certificate for the listener's STARTTLS, trusted by swaks below.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$WORK/smtp-key.pem" -out "$WORK/smtp-cert.pem" 2>"$WORK/openssl.log" \
    || fail "openssl could not make a certificate: $(cat "$WORK/openssl.log")"

"$PY" -m aiosmtpd -n -l "127.0.0.1:$RELAY" -c aiosmtpd.handlers.Mailbox "$WORK/maildir" 2>"$WORK/sink.log" &
PIDS+=($!)
env -i PATH="$PATH" HOME="$WORK" \
    KEFU_SMTP_LISTEN="127.0.0.1:$SMTP" KEFU_RELAY_HOST=127.0.0.1 KEFU_RELAY_PORT="$RELAY" \
    KEFU_RELAY_TLS=none KEFU_MAIL_TOKEN_SECRET=e2e-token-secret-0123456789 \
    KEFU_SMTP_TLS_CERT="$WORK/smtp-cert.pem" KEFU_SMTP_TLS_KEY="$WORK/smtp-key.pem" \
    "$KEFU" serve --demo --listen "127.0.0.1:$HTTP" --data-dir "$WORK/data" >"$WORK/kefu.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do
    curl -fs "$URL/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fs "$URL/readyz" >/dev/null || fail "kefu did not become ready"

json() { "$PY" -c "import json, sys; d = json.load(sys.stdin); print($1)"; }
TOKEN=$(curl -fs "$URL/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"email":"admin@demo.kefu.dev","password":"kefu-demo-2026"}' | json 'd["token"]')
api() { curl -fs -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' "$@"; }

swaks --server "127.0.0.1:$SMTP" --from zhang@example.com --to support@demo.kefu.dev \
    --header "Subject: Return request 1001-e2e" --header "Message-ID: <e2e-1@example.com>" \
    --body "The shoes are the wrong size, I want to return them." >"$WORK/swaks1.log" \
    || fail "the listener refused the first mail: $(tail -n 5 "$WORK/swaks1.log")"
TICKET=$(api "$URL/api/v1/tickets?q=1001-e2e" | json 'd["items"][0]["id"]') || fail "no ticket from the mail"
NUMBER=$(api "$URL/api/v1/tickets/$TICKET" | json 'd["number"]')
CHANNEL=$(api "$URL/api/v1/tickets/$TICKET" | json 'd["channel"]')
[ "$CHANNEL" = email ] || fail "ticket channel is $CHANNEL"

printf '%s\n' '%PDF-1.4' 'e2e return label' '%%EOF' >"$WORK/label.pdf"
FILE=$(curl -fs -H "authorization: Bearer $TOKEN" -H 'content-type: application/pdf' \
    --data-binary @"$WORK/label.pdf" "$URL/api/v1/tickets/$TICKET/files?name=label.pdf" | json 'd["id"]') \
    || fail "uploading the agent's file"
api "$URL/api/v1/tickets/$TICKET/comments" \
    -d "{\"body\":\"We have arranged the return.\",\"public\":true,\"attachment_ids\":[\"$FILE\"]}" >/dev/null \
    || fail "posting the reply"
for _ in $(seq 1 100); do
    [ -n "$(ls "$WORK/maildir/new" 2>/dev/null)" ] && break
    sleep 0.2
done
SENT=$(ls "$WORK/maildir/new"/* 2>/dev/null | head -n 1)
[ -n "$SENT" ] || fail "the relay received no reply"
HEADERS=$("$PY" - "$SENT" "$WORK/label.pdf" <<'EOF'
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
print(m["Subject"]); print(m["In-Reply-To"]); print(m["Reply-To"]); print(m["Message-ID"]); print(m["From"])
files = [p.get_payload(decode=True) for p in m.walk() if p.get_filename() == "label.pdf"]
print("attached" if files == [open(sys.argv[2], "rb").read()] else "missing")
EOF
)
SUBJECT=$(sed -n 1p <<<"$HEADERS"); IN_REPLY_TO=$(sed -n 2p <<<"$HEADERS")
REPLY_TO=$(sed -n 3p <<<"$HEADERS"); MESSAGE_ID=$(sed -n 4p <<<"$HEADERS"); FROM=$(sed -n 5p <<<"$HEADERS")
[[ "$SUBJECT" == "[#$NUMBER] Return request 1001-e2e" ]] || fail "subject $SUBJECT"
[ "$IN_REPLY_TO" = "<e2e-1@example.com>" ] || fail "In-Reply-To $IN_REPLY_TO"
[[ "$REPLY_TO" == support+t-*@demo.kefu.dev ]] || fail "Reply-To $REPLY_TO"
[[ "$FROM" == *"<support@demo.kefu.dev>" ]] || fail "From $FROM"
[ "$(sed -n 6p <<<"$HEADERS")" = attached ] || fail "the reply did not carry the agent's PDF unchanged"

swaks --server "127.0.0.1:$SMTP" --from zhang@example.com --to "$REPLY_TO" \
    --header "Subject: Re: $SUBJECT" --header "In-Reply-To: $MESSAGE_ID" --header "References: <e2e-1@example.com> $MESSAGE_ID" \
    --body $'Thank you!\n\nOn Mon, Demo Shop support wrote:\n> We have arranged the return.' >"$WORK/swaks2.log" \
    || fail "the listener refused the answer: $(tail -n 5 "$WORK/swaks2.log")"
LAST=$(api "$URL/api/v1/tickets/$TICKET/comments" | json 'd["items"][-1]["author_kind"] + "|" + d["items"][-1]["body"]')
[ "$LAST" = "customer|Thank you!" ] || fail "the answer did not thread: $LAST"

# Over STARTTLS, with swaks verifying the listener's certificate against the one made above.
swaks --server "127.0.0.1:$SMTP" --tls --tls-verify --tls-ca-path "$WORK/smtp-cert.pem" \
    --from li.si@example.com --to support@demo.kefu.dev \
    --header "Subject: Sent over TLS 1002-e2e" --body "Please check my order." >"$WORK/swaks-tls.log" 2>&1 \
    || fail "the TLS delivery failed: $(tail -n 8 "$WORK/swaks-tls.log")"
grep -q "TLS started" "$WORK/swaks-tls.log" || fail "swaks did not use TLS: $(tail -n 8 "$WORK/swaks-tls.log")"
TLS_SUBJECT=$(api "$URL/api/v1/tickets?q=1002-e2e" | json 'd["items"][0]["subject"]') || fail "no ticket from the TLS mail"
[ "$TLS_SUBJECT" = "Sent over TLS 1002-e2e" ] || fail "TLS mail ticket subject $TLS_SUBJECT"

# A recipient kefu does not serve is refused at RCPT time.
if swaks --server "127.0.0.1:$SMTP" --from a@example.com --to nobody@demo.kefu.dev >"$WORK/swaks3.log" 2>&1; then
    fail "mail to an unknown recipient was accepted"
fi
grep -q "<\*\* 550" "$WORK/swaks3.log" || fail "no 550 for an unknown recipient: $(tail -n 5 "$WORK/swaks3.log")"
echo "PASS: mail → ticket #$NUMBER → reply relayed with threading headers and its PDF → answer threaded; mail over STARTTLS → ticket"
