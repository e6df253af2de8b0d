# lib.sh - shared helpers of the end-to-end scripts (sourced, not run).
#
# The scripts drive the real jifend with the real jifen CLI over loopback
# TCP. ctest passes the binaries in the environment:
#   JIFEND, JIFEN        paths of the built daemon and CLI
#   JIFEN_SOURCE_DIR     the source tree (for deploy/policy.conf)
# Set KEEP_WORK=1 to keep the scratch directory for a post-mortem.
#
# Keys: jifend answers only enrolled CURVE keys. The first start_daemon on
# a data directory makes one key pair per role in $KEYS (committee,
# terminal, auditor, admin), enrols the admin offline (jifend --enrol-admin)
# and, once the daemon serves, the other three through the admin key. `jf`
# then picks the key whose role may run the command (JF_ROLE=ROLE forces
# one); a reversal tries the committee, then the terminal.
#
# Every check prints one "PASS: ..." or "FAIL: ..." line; `finish` prints
# the tally and exits non-zero when anything failed. Daemons started here
# are killed on any exit, and every wait has a limit.

# Variables set here are read by the scripts that source this file.
# shellcheck disable=SC2034
set -euo pipefail

: "${JIFEND:?JIFEND must name the jifend binary}"
: "${JIFEN:?JIFEN must name the jifen CLI binary}"
: "${JIFEN_SOURCE_DIR:?JIFEN_SOURCE_DIR must name the source tree}"
command -v jq >/dev/null || { echo "FAIL: jq is required (apt-get install jq)"; exit 1; }

DEFAULT_POLICY="$JIFEN_SOURCE_DIR/deploy/policy.conf"
TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/jifen-e2e-$TEST_NAME.XXXXXX")
N_PASS=0
N_FAIL=0
DAEMON_PIDS=()   # every daemon started, for the exit trap
DAEMON_LOGS=()
N_DAEMONS=0
PID=""
ENDPOINT=""
DAEMON_LOG=""

_cleanup() {
    local rc=$?
    set +e
    local p
    for p in "${DAEMON_PIDS[@]}"; do
        if kill -0 "$p" 2>/dev/null; then
            kill -CONT "$p" 2>/dev/null
            kill -KILL "$p" 2>/dev/null
            wait "$p" 2>/dev/null
        fi
    done
    # Background helpers of the script itself (client loops, ...).
    local jobs_left
    jobs_left=$(jobs -pr)
    if [ -n "$jobs_left" ]; then
        # shellcheck disable=SC2086 # one pid per word
        kill $jobs_left 2>/dev/null
        wait 2>/dev/null
    fi
    if [ "$rc" -ne 0 ] || [ "$N_FAIL" -ne 0 ]; then
        local l
        for l in "${DAEMON_LOGS[@]}"; do
            echo "--- last lines of $l"
            tail -n 15 "$l" 2>/dev/null
        done
    fi
    if [ "${KEEP_WORK:-0}" = 1 ]; then
        echo "scratch kept in $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap _cleanup EXIT
trap 'echo "FAIL: interrupted"; exit 130' INT TERM

# --- assertions ------------------------------------------------------------

pass() { N_PASS=$((N_PASS + 1)); echo "PASS: $*"; }
fail() { N_FAIL=$((N_FAIL + 1)); echo "FAIL: $*"; }
# A setup step that must work for the rest to make sense.
die() { N_FAIL=$((N_FAIL + 1)); echo "FAIL: $* (cannot go on)"; exit 1; }

# check_eq WHAT EXPECTED GOT
check_eq() {
    if [ "$2" == "$3" ]; then
        pass "$1 = $3"
    else
        fail "$1: expected '$2', got '$3'"
    fi
}

# check_contains WHAT NEEDLE HAYSTACK
check_contains() {
    if [[ "$3" == *"$2"* ]]; then
        pass "$1 (has '$2')"
    else
        fail "$1: expected to contain '$2', got: $3"
    fi
}

# check_not_contains WHAT NEEDLE HAYSTACK
check_not_contains() {
    if [[ "$3" != *"$2"* ]]; then
        pass "$1 (no '$2')"
    else
        fail "$1: must not contain '$2', got: $3"
    fi
}

# check_match WHAT EXTENDED-REGEX TEXT
check_match() {
    if [[ "$3" =~ $2 ]]; then
        pass "$1 (matches /$2/)"
    else
        fail "$1: expected to match /$2/, got: $3"
    fi
}

# check_le WHAT A B: integer A <= B
check_le() {
    if [ "$2" -le "$3" ]; then
        pass "$1 ($2 <= $3)"
    else
        fail "$1: expected $2 <= $3"
    fi
}

# check_memory WHAT KB LIMIT_KB: check_le on a memory figure, except for a
# jifend built with AddressSanitizer, whose quarantine keeps freed memory
# (256 MB by default) and whose figures say nothing about jifen's.
check_memory() {
    # Not grep -q: under pipefail, grep leaving at the first match can
    # kill ldd with SIGPIPE before it finished writing, the pipeline then
    # fails, and an AddressSanitizer build was checked as a plain one
    # (CI: 427 MB against the 400 MB bound, in the sanitizer pass).
    if ldd "$JIFEND" 2>/dev/null | grep libasan >/dev/null; then
        echo "note: $1: $(($2 / 1024)) MB under AddressSanitizer, not checked"
        return 0
    fi
    check_le "$1" "$2" "$3"
}

# run CMD...: runs a command without tripping set -e; leaves its stdout in
# OUT, its stderr in ERR and its exit status in RC.
run() {
    local o="$WORK/.out" e="$WORK/.err"
    RC=0
    "$@" >"$o" 2>"$e" || RC=$?
    OUT=$(cat "$o")
    ERR=$(cat "$e")
}

# check_rc WHAT EXPECTED: after `run`, the exit status and, on a mismatch,
# what the command said.
check_rc() {
    if [ "$RC" -eq "$2" ]; then
        pass "$1: exit $RC"
    else
        fail "$1: expected exit $2, got $RC; stdout: ${OUT:0:400}; stderr: ${ERR:0:400}"
    fi
}

# jget FILTER: a jq filter applied to OUT (raw output; "" when it fails).
jget() { jq -r "$1" <<<"$OUT" 2>/dev/null || true; }

# --- keys ----------------------------------------------------------------------

KEYS="$WORK/keys"
ROLES=(committee terminal auditor admin)
SERVER_KEY=""   # the public key file of the daemon started last

# make_keys: one key pair per role in $KEYS (once per script).
make_keys() {
    [ -d "$KEYS" ] && return 0
    mkdir -m 700 "$KEYS"
    local r
    for r in "${ROLES[@]}"; do
        "$JIFEN" keygen --out "$KEYS/$r" >/dev/null || die "keygen $r"
    done
}

# Journal entries a fresh community's ledger starts with: one enrolment
# per role but the admin's, who is the service's (enrolled in the service's
# own journal: docs/communities.md).
BASE=$((${#ROLES[@]} - 1))

# seqs N...: the numbers N shifted by BASE, space-separated (entry numbers
# as counted before keys existed).
seqs() {
    local out="" n
    for n in "$@"; do out+="${out:+ }$((BASE + n))"; done
    echo "$out"
}

# key_of ROLE: the secret key file of the role's test key.
key_of() { echo "$KEYS/$1.key"; }

# role_for ARGS...: the role whose key may run the CLI command in ARGS.
role_for() {
    local a
    case "$*" in
    *"policy load"*) echo admin; return ;;
    *"household set"*) echo terminal; return ;;
    *"report shifts"*) echo terminal; return ;;
    esac
    for a in "$@"; do
        case "$a" in
        household | award | deduct | object | approve | appeal) echo committee; return ;;
        # issue 15: the committee's month (docs/committee.md)
        member | proxy | shop | funder | passbook | import) echo committee; return ;;
        bill | pay | redeem | settle | refund | billing | shift) echo terminal; return ;;
        reverse) echo reverser; return ;;
        key) echo admin; return ;;
        balance | history | verify | checkpoint | stats | notices | report | policy | receipt) echo auditor; return ;;
        esac
    done
    echo auditor
}

# --- the CLI ---------------------------------------------------------------

JF_TIMEOUT=${JF_TIMEOUT:-5000}
JF_RETRIES=${JF_RETRIES:-2}
# jf_as ROLE ARGS...: the real CLI with ROLE's key against the daemon
# started last.
jf_as() {
    local role=$1
    shift
    "$JIFEN" --server "$ENDPOINT" --key "$(key_of "$role")" --server-key "$SERVER_KEY" \
        --timeout "$JF_TIMEOUT" --retries "$JF_RETRIES" "$@"
}
# jf ARGS...: jf_as with the role the command needs (or $JF_ROLE). A
# reversal belongs to whoever writes the kind of entry reversed: the
# committee is tried first and, when its key is refused (exit 4, nothing
# changed), the terminal.
jf() {
    local role=${JF_ROLE:-$(role_for "$@")}
    [ "$role" = reverser ] || { jf_as "$role" "$@"; return; }
    local rc=0
    jf_as committee "$@" >"$WORK/.rev.out" 2>"$WORK/.rev.err" || rc=$?
    if [ "$rc" -eq 4 ]; then
        jf_as terminal "$@"
        return
    fi
    cat "$WORK/.rev.out"
    cat "$WORK/.rev.err" >&2
    return "$rc"
}
# jfj ARGS...: the same with --json.
jfj() { jf --json "$@"; }

# json_ok WHAT ARGS...: runs `jfj ARGS`, which must exit 0 with a JSON
# object on stdout (left in OUT).
json_ok() {
    local what=$1
    shift
    run jfj "$@"
    if [ "$RC" -ne 0 ] || ! jq -e 'type == "object"' >/dev/null 2>&1 <<<"$OUT"; then
        fail "$what: expected exit 0 and a JSON object; exit $RC; stdout: ${OUT:0:400}; stderr: ${ERR:0:400}"
        return 1
    fi
    return 0
}

# balance_of H: "POINTS FEE_DUE_FEN", or "error ..." (which no expected
# value matches, so the comparison that follows fails and shows it).
balance_of() {
    local o rc=0
    o=$(jfj balance "$1" 2>"$WORK/.berr") || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "error exit $rc: $(cat "$WORK/.berr")"
        return 0
    fi
    jq -r '"\(.points) \(.fee_due_fen)"' <<<"$o"
}

# verify_state: "OK ENTRIES HEAD" from `verify --json` (or "error").
verify_state() {
    local o rc=0
    o=$(jfj verify 2>"$WORK/.verr") || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "error exit $rc: $(cat "$WORK/.verr") $o"
        return 0
    fi
    jq -r '"\(.ok) \(.entries) \(.head)"' <<<"$o"
}

# A primary and its replica (replica.sh, notice.sh): $PRIMARY is the
# primary's endpoint, its data in $WORK/p, the replica's in $WORK/r.
# on EP CMD...: the CLI against either, with the key of the role the
# command needs ($ON_KEY, a secret key file, overrides it).
on() {
    local ep=$1 sk=$WORK/r/jifend.pub
    shift
    [ "$ep" = "$PRIMARY" ] && sk=$WORK/p/jifend.pub
    "$JIFEN" --server "$ep" --key "${ON_KEY:-$(key_of "$(role_for "$@")")}" --server-key "$sk" \
        --timeout "${ON_TIMEOUT:-3000}" --retries 1 "$@"
}
# entries_of EP: its entry count ("" when it does not answer: set -e must
# not end the script silently, the caller says what failed).
entries_of() { on "$1" --json verify 2>/dev/null | jq -r .entries || true; }

# burst ARGS...: the burst writer of the fault tests ($BURST, tests/burst.c)
# with the committee key against the daemon started last ($SERVER_KEY).
burst() {
    JIFEN_KEY="$(key_of committee)" JIFEN_SERVER_KEY="$SERVER_KEY" "$BURST" "$@"
}

# --- the daemon ------------------------------------------------------------

# start_daemon DATA_DIR [JIFEND ARGS...]: starts jifend on a free loopback
# port and waits (at most 10 s) for its "serving ENDPOINT" log line. Sets
# PID, ENDPOINT and DAEMON_LOG.
start_daemon() {
    local data=$1
    shift
    local first=0
    # A replica's ledger is a copy of its primary's: nothing is enrolled
    # into it; the primary's enrolments arrive by replication.
    if [ ! -e "$data/service/data.mdb" ] && [ ! -e "$data/data.mdb" ] &&
        [[ " $* " != *" --replica-of "* ]] && [[ " $* " != *" --nats-replica "* ]]; then
        first=1
        make_keys
        # On the daemon's test clock, if it has one: the enrolment is the
        # ledger's first entry and is dated like the rest.
        local clock=() a prev=""
        for a in "$@"; do
            [ "$prev" = --test-clock ] && clock=(--test-clock "$a")
            prev=$a
        done
        "$JIFEND" --data "$data" --enrol-admin "$KEYS/admin.pub" --label test-admin "${clock[@]}" \
            >>"$WORK/enrol.log" 2>&1 || die "offline admin enrolment: $(tail -n 3 "$WORK/enrol.log")"
    fi
    N_DAEMONS=$((N_DAEMONS + 1))
    DAEMON_LOG="$WORK/jifend.$N_DAEMONS.log"
    # Made here, not by the background job's redirection: on a loaded
    # machine the first sed below could run before the job opened it, and
    # under set -e that missing file ended the whole script.
    : >"$DAEMON_LOG"
    "$JIFEND" --data "$data" --listen 'tcp://127.0.0.1:*' "$@" 2>"$DAEMON_LOG" &
    PID=$!
    DAEMON_PIDS+=("$PID")
    DAEMON_LOGS+=("$DAEMON_LOG")
    ENDPOINT=""
    local i
    for ((i = 0; i < 200; i++)); do
        ENDPOINT=$(sed -n 's/.* serving \(tcp:\/\/127\.0\.0\.1:[0-9][0-9]*\).*/\1/p' "$DAEMON_LOG" | head -n 1)
        if [ -n "$ENDPOINT" ]; then
            SERVER_KEY="$data/jifend.pub"
            [ "$first" -eq 1 ] && enrol_roles
            return 0
        fi
        if ! kill -0 "$PID" 2>/dev/null; then
            local st=0
            wait "$PID" || st=$?
            die "jifend exited with status $st before serving: $(tail -n 5 "$DAEMON_LOG")"
        fi
        sleep 0.05
    done
    die "jifend did not report 'serving' within 10 s"
}

# wait_for_log TEXT: waits at most 5 s for the log of the daemon started
# last to contain TEXT (what a signal made it do).
wait_for_log() {
    local i
    for ((i = 0; i < 100; i++)); do
        grep -qF -- "$1" "$DAEMON_LOG" && return 0
        sleep 0.05
    done
    return 1
}

# enrol_roles: the committee, terminal and auditor keys, enrolled by the
# admin over the network (as an operator would).
enrol_roles() {
    local r
    for r in committee terminal auditor; do
        jf_as admin key enrol "$KEYS/$r.pub" "$r" --label "test-$r" >>"$WORK/enrol.log" 2>&1 ||
            die "enrolling the $r key: $(tail -n 3 "$WORK/enrol.log")"
    done
}

# stop_daemon [SIGNAL]: signals the daemon (TERM by default) and waits at
# most 10 s for it to exit. Sets DAEMON_STATUS (exit status, 128+n when
# killed by signal n).
stop_daemon() {
    local sig=${1:-TERM} i
    DAEMON_STATUS=""
    [ -n "$PID" ] || return 0
    kill -"$sig" "$PID" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$PID" 2>/dev/null; then
        fail "jifend (pid $PID) still running 10 s after SIG$sig; killing it"
        kill -KILL "$PID" 2>/dev/null || true
    fi
    DAEMON_STATUS=0
    wait "$PID" 2>/dev/null || DAEMON_STATUS=$?
    PID=""
}

# --- the policy (read from the file, not from the daemon) ------------------

# policy_get FILE SECTION KEY: the value of KEY in [SECTION] ("" = the top
# of the file), e.g. policy_get "$DEFAULT_POLICY" "activity volunteer" max_hours.
# Follows the file format of deploy/policy.conf: `#` starts a comment at the
# start of a line or after a blank.
policy_get() {
    awk -v want="$2" -v key="$3" '
        {
            line = $0
            sub(/\r$/, "", line)
            sub(/^[ \t]*#.*/, "", line)
            sub(/[ \t]#.*/, "", line)
            gsub(/^[ \t]+|[ \t]+$/, "", line)
            if (line == "") next
            if (line ~ /^\[/) {
                s = line
                gsub(/^\[[ \t]*|[ \t]*\]$/, "", s)
                gsub(/[ \t]+/, " ", s)
                section = s
                next
            }
            if (section != want) next
            eq = index(line, "=")
            if (eq == 0) next
            k = substr(line, 1, eq - 1)
            v = substr(line, eq + 1)
            gsub(/^[ \t]+|[ \t]+$/, "", k)
            gsub(/^[ \t]+|[ \t]+$/, "", v)
            if (k == key) { print v; exit }
        }' "$1"
}

# need_number WHAT VALUE: dies unless VALUE is a whole number.
need_number() {
    [[ "$2" =~ ^[0-9]+$ ]] || die "$1: expected a number from the policy, got '$2'"
}

# yuan FEN: "128.50"
yuan() { printf '%d.%02d' $(($1 / 100)) $(($1 % 100)); }

# max_redeemable DUE_FEN RATE PERCENT: the most points one redemption may
# use: floor(floor(due * percent / 100) / rate).
max_redeemable() { echo $(( ($1 * $3 / 100) / $2 )); }

finish() {
    echo "== $TEST_NAME: $N_PASS passed, $N_FAIL failed (${SECONDS}s)"
    [ "$N_FAIL" -eq 0 ]
}
