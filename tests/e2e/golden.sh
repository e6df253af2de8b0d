#!/usr/bin/env bash
# golden.sh - a golden transcript of the CLI: a short session against a real
# jifend on its test clock, every command in its human form and with
# --json, written byte for byte and compared with the committed
# tests/golden/cli_session.txt. A change of wording, of a JSON field or of a
# time's form shows as a diff here; if the change is meant, regenerate:
#
#     JIFEN_GOLDEN_UPDATE=1 ctest --test-dir build -R e2e_golden
#
# and commit the new file with the change (review the diff first).
#
# What makes it byte-stable: fixed request ids, the test clock (entry times,
# notice windows; the offline enrolments are dated by it too), the CLI run
# under TZ=UTC (people read Asia/Shanghai time whatever the machine's zone
# is) and LC_ALL=C. Only two things vary from run to run and are masked:
# the enrolled keys (random, so `key list` is left out) and the SHA-256
# chain head they go into (`verify` shows <sha256>).
source "$(dirname "$0")/lib.sh"

GOLDEN="$JIFEN_SOURCE_DIR/tests/golden/cli_session.txt"
REVISED="$JIFEN_SOURCE_DIR/deploy/policy-2026-07.conf"
CLOCK="$WORK/clock"
set_time() { echo $(( $(date -u -d "$1 +0800" +%s) * 1000 )) >"$CLOCK"; }
export TZ=UTC LC_ALL=C

set_time "2026-06-20 09:00"
start_daemon "$WORK/data" --test-clock "$CLOCK" --policy "$DEFAULT_POLICY" --policy "$REVISED"

T="$WORK/transcript"
: >"$T"
N=0
# say ARGS...: one command, human then --json, into the transcript: the
# command line as a user types it (no key options), stdout, stderr lines
# marked "! ", and the exit status.
say_one() {
    local rc=0 a line="$ jifen"
    for a in "$@"; do
        [[ "$a" == *" "* ]] && a="'$a'"
        line+=" $a"
    done
    printf '%s\n' "$line" >>"$T"
    jf "$@" >"$WORK/.o" 2>"$WORK/.e" || rc=$?
    sed -E 's/[0-9a-f]{64}/<sha256>/g' "$WORK/.o" >>"$T"
    sed -e 's/^/! /' "$WORK/.e" >>"$T"
    printf '[exit %d]\n\n' "$rc" >>"$T"
}
say() {
    say_one "$@"
    say_one --json "$@"
}
# write ARGS...: a write with the next request id, sent twice: once as it
# is applied, once as a retry (exists). The human and the --json forms
# take turns in coming first, so both show both outcomes.
FIRST_JSON=0
write() {
    local id="g-$((N += 1))"
    if [ "$FIRST_JSON" = 1 ]; then
        say_one --json "$@" --request-id "$id"
        say_one "$@" --request-id "$id"
    else
        say_one "$@" --request-id "$id"
        say_one --json "$@" --request-id "$id"
    fi
    FIRST_JSON=$((1 - FIRST_JSON))
}

write household add 3-2-501 --name 张三 --area 85.5
write household add 3-2-502 --name 李四
write award 3-2-501 meeting --note "议事会 on the bike shed"
write award 3-2-501 volunteer --hours 3
write bill 3-2-501 128.25 --period 2026-06
write bill 3-2-502 96 --period 2026-06
write pay 3-2-501 50
write redeem 3-2-501 3
write redeem 3-2-501 100
write bill 3-2-502 96 --period 2026-06
write reverse 13 --note "billed twice"
write bill 3-2-501 10
say balance 3-2-501

# July: the revised rules, awards under public notice for 7 days.
set_time "2026-07-03 15:00"
write award 3-2-501 meeting
say notices --period 2026-07

# 11 July 00:00: the daemon posts the award by itself.
set_time "2026-07-11 00:00"
for ((i = 0; i < 400; i++)); do
    [ "$(jfj balance 3-2-501 | jq -r .pending_points)" = 0 ] && break
    sleep 0.05
done
[ "$i" -lt 400 ] || die "the award was not posted within 20 s of the end of its notice"
say balance 3-2-501
say history 3-2-501
say history 3-2-502 --limit 2
say report statement 3-2-501 --period 2026-06
say report ageing --period 2026-07
say report liability --period 2026-06
say report trial-balance
say report statement 3-2-501 --period 2026-06 --csv
say policy list
say verify
say_one help
say_one receipt --help

if [ "${JIFEN_GOLDEN_UPDATE:-0}" = 1 ]; then
    mkdir -p "$(dirname "$GOLDEN")"
    cp "$T" "$GOLDEN"
    pass "wrote $GOLDEN ($(wc -l <"$GOLDEN") lines)"
elif diff -u "$GOLDEN" "$T" >"$WORK/diff"; then
    pass "the session's output is the golden transcript, byte for byte"
else
    cat "$WORK/diff"
    fail "the output differs from $GOLDEN (diff above); if meant, regenerate with JIFEN_GOLDEN_UPDATE=1 ctest --test-dir build -R e2e_golden"
fi
finish
