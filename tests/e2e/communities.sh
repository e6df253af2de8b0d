#!/usr/bin/env bash
# communities.sh - one jifend, many communities (docs/communities.md), with
# the real daemon and the real CLI:
#
# 1. Communities created by the service's admin, each founded with its own
#    rule set: east on the embedded default, west on a rule set of its own
#    (a meeting is worth 5 points there, 2 in east), side by side.
# 2. A key of community east, of every role, refused on community west for
#    every command the CLI sends, each leaving west exactly as it was; the
#    same commands allowed on east where the role matrix allows them.
# 3. Keys of the service: a street office's auditor sees its street's
#    communities, and only those, in the list and the roll-up.
# 4. The roll-up: each community's row equals that community's own reports
#    (trial balance, liability, ageing), and its TOTAL their sum.
# 5. A closed community is read, never written; an unknown one is refused
#    with its own status; several communities and none named is refused.
# 6. A replica follows the whole service, also a community created while
#    it runs.
# 7. Offline tools per community and for the whole service: --verify,
#    --backup, --export, --rebuild.
# 8. A one-community ledger of an earlier release taken over as the
#    service's first community with its journal and head unchanged.
source "$(dirname "$0")/lib.sh"

CLOCK="$WORK/clock"
set_time() { echo $(( $(date -u -d "$1 +0800" +%s) * 1000 )) >"$CLOCK"; }
set_time "2026-11-10 10:00"
DATA="$WORK/data"
start_daemon "$DATA" --test-clock "$CLOCK"

# at C ROLE ARGS...: the CLI in community C with ROLE's key (a file in $KEYS).
at() {
    local c=$1 role=$2
    shift 2
    JIFEN_COMMUNITY=$c jf_as "$role" "$@"
}
newkey() { "$JIFEN" keygen --out "$KEYS/$1" >/dev/null || die "keygen $1"; }

# --- 1. two communities, two rule sets ----------------------------------------
sed -e 's/^version = .*/version = 2026-11-west/' \
    -e '/^\[activity meeting\]/,/^points/ s/^points = 2/points = 5/' \
    "$DEFAULT_POLICY" >"$WORK/west.conf"
run jf_as admin community create east --name 东区 --street s1
check_rc "community create east" 0
check_contains "... says so" "created community east (东区) in street s1" "$OUT"
run jf_as admin community create west --name 西区 --street s1 --policy "$WORK/west.conf"
check_rc "community create west with a rule set of its own" 0
run jf_as admin community create far --name 远区 --street s9
check_rc "community create far (another street)" 0
run jf_as admin community create east --name 又一个东区
check_rc "the same code again: refused" 1
check_contains "... with its own status" "community_exists" "$ERR"
run jf_as admin community create 'bad code' --name x
check_rc "a code that is not [A-Za-z0-9._-]: refused" 2

JF_ROLE=admin json_ok "community list" community list &&
    check_eq "the list: codes in order" "default east far west" "$(jget '[.communities[].code] | join(" ")')"

for c in east west; do
    for r in committee terminal auditor admin; do
        newkey "$c-$r"
        run at "$c" admin key enrol "$KEYS/$c-$r.pub" "$r" --label "$c-$r"
        check_rc "enrol $c-$r in $c" 0
    done
done
run at east east-auditor --json policy list
check_eq "east's rule set" 2026-01-default "$(jget '[.rule_sets[].version] | join(" ")')"
run at west west-auditor --json policy list
check_eq "west's rule set" 2026-11-west "$(jget '[.rule_sets[].version] | join(" ")')"
H=1-1-101
for c in east west; do
    run at "$c" "$c-committee" household add "$H" --name 张三 --area 80
    check_rc "household add $H in $c" 0
done
run at east east-committee --json award "$H" meeting
check_eq "a meeting in east: 2 points (the default)" 2 "$(jget .points)"
run at west west-committee --json award "$H" meeting
check_eq "a meeting in west: 5 points (west's rule set)" 5 "$(jget .points)"
run at east east-auditor --json balance "$H"
check_eq "east's balance: its own award only" 2 "$(jget .points)"
run at west west-auditor --json history "$H"
check_eq "each entry still records the key's label" "west-committee" "$(jget '[.entries[].author] | unique | join(" ")')"

# The same household code in two communities is two households.
run at east east-terminal bill "$H" 120.00 --period 2026-10
check_rc "bill in east" 0
run at west west-terminal bill "$H" 80.00 --period 2026-10
run at west west-terminal pay "$H" 50.00
run at west west-terminal redeem "$H" 5
check_rc "redeem in west" 0
run at east east-terminal pay "$H" 20.00
run at east east-committee household add 2-1-201
run at east east-committee award 2-1-201 honour --points 20
run at east east-terminal bill 2-1-201 300.00 --period 2026-08
set_time "2026-11-20 10:00"
run at east east-terminal redeem 2-1-201 10
check_rc "redeem in east" 0

# --- 2. east's keys on west, cell by cell -------------------------------------
WEST_AWARD=$(at west west-committee --json award "$H" meeting | jq -r .entry)
WEST_BILL=$(at west west-terminal --json bill "$H" 1.00 --period 2026-11 | jq -r .entry)
[[ "$WEST_AWARD" =~ ^[0-9]+$ && "$WEST_BILL" =~ ^[0-9]+$ ]] || die "west's entries to reverse"
west_state() {
    local o
    o=$(at west west-auditor --json verify 2>&1) || { echo "error: $o"; return 0; }
    jq -r '"\(.entries) \(.head)"' <<<"$o"
}
# Issue 15's commands too: west's supermarket, a roster and a paper ledger.
run at west west-committee shop item rice --name 大米 --price 5 --value 15.00 --funder merchant:laowang --stock 3
check_rc "west's supermarket: an item" 0
WEST_GOODS=$(at west west-committee --json shop redeem "$H" rice | jq -r .entry)
[[ "$WEST_GOODS" =~ ^[0-9]+$ ]] || die "west's redemption of goods"
printf 'household,member\n%s,张三\n' "$H" >"$WORK/roster.csv"
printf 'household,points,fee,date,book,page\n9-9-901,10,0,2025-12-31,1,1\n' >"$WORK/opening.csv"
N=0
west_args() {
    N=$((N + 1))
    case "$1" in
    household-add) ARGS=(household add "x-$N") ;;
    household-search) ARGS=(household search 1-1) ;;
    award) ARGS=(award "$H" meeting) ;;
    deduct) ARGS=(deduct "$H" free-riding --note "cell $N") ;;
    bill) ARGS=(bill "$H" 1.00 --period 2026-12) ;;
    pay) ARGS=(pay "$H" 1.00) ;;
    redeem) ARGS=(redeem "$H" 1) ;;
    reverse-award) ARGS=(reverse "$WEST_AWARD" --note "cell $N") ;;
    reverse-bill) ARGS=(reverse "$WEST_BILL" --note "cell $N") ;;
    balance) ARGS=(balance "$H") ;;
    history) ARGS=(history "$H") ;;
    verify) ARGS=(verify) ;;
    checkpoint) ARGS=(checkpoint) ;;
    proof) ARGS=(proof 1) ;;
    stats) ARGS=(stats) ;;
    key-enrol) newkey "cell-$N"; ARGS=(key enrol "$KEYS/cell-$N.pub" auditor --label "cell $N") ;;
    key-revoke) ARGS=(key revoke "$KEYS/west-auditor.pub") ;;
    key-list) ARGS=(key list) ;;
    appeal) ARGS=(appeal "$WEST_AWARD" --note "cell $N") ;;
    object) ARGS=(object "$WEST_AWARD" --note "cell $N") ;;
    approve) ARGS=(approve "$WEST_AWARD") ;;
    notices) ARGS=(notices) ;;
    settle) ARGS=(settle 1.00) ;;
    statement) ARGS=(report statement "$H") ;;
    liability) ARGS=(report liability) ;;
    ageing) ARGS=(report ageing) ;;
    trial-balance) ARGS=(report trial-balance) ;;
    policy-list) ARGS=(policy list) ;;
    policy-show) ARGS=(policy show 2026-11-west) ;;
    member-add) ARGS=(member add "$H" "成员$N" --relation child --phone 13912345678) ;;
    member-list) ARGS=(member list "$H") ;;
    proxy-grant) ARGS=(proxy grant "$H" 张三 "成员$N" --consent "form $N") ;;
    shop-item) ARGS=(shop item "item-$N" --name 大米 --price 5 --funder community-fund) ;;
    shop-stock) ARGS=(shop stock rice 1) ;;
    shop-redeem) ARGS=(shop redeem "$H" rice) ;;
    shop-pickup) ARGS=(shop pickup "$WEST_GOODS") ;;
    funder-settle) ARGS=(funder settle laowang 1.00) ;;
    roster) ARGS=(award roster "$WORK/roster.csv" --activity meeting --event "cell $N") ;;
    roster-dry) ARGS=(award roster "$WORK/roster.csv" --activity meeting --event "cell $N" --dry-run) ;;
    passbook) ARGS=(passbook "$H") ;;
    opening) ARGS=(import opening "$WORK/opening.csv") ;;
    honour) ARGS=(report honour) ;;
    funders) ARGS=(report funders) ;;
    policy-load)
        sed -e "s/^version = .*/version = cell-$N/" -e "s/^effective = .*/effective = 2040-01-01/" \
            "$JIFEN_SOURCE_DIR/deploy/policy-2026-07.conf" >"$WORK/cell-$N.conf"
        ARGS=(policy load "$WORK/cell-$N.conf") ;;
    esac
}
CELLS=(household-add household-search award deduct bill pay redeem reverse-award
    reverse-bill balance history verify checkpoint proof stats key-enrol key-revoke
    key-list appeal object approve notices settle statement liability ageing
    trial-balance policy-list policy-show policy-load
    member-add member-list proxy-grant shop-item shop-stock shop-redeem shop-pickup
    funder-settle roster roster-dry passbook opening honour funders)
refused=0
for cell in "${CELLS[@]}"; do
    for r in committee terminal auditor admin; do
        west_args "$cell"
        before=$(west_state)
        run at west "east-$r" "${ARGS[@]}"
        if [ "$RC" -eq 4 ] && [[ "$ERR" == *forbidden* ]] && [ "$(west_state)" = "$before" ]; then
            refused=$((refused + 1))
        else
            fail "$cell by east-$r on west: expected forbidden (exit 4) and west unchanged; exit $RC: $ERR"
        fi
    done
done
check_eq "every command of every east key refused on west, west unchanged" $((${#CELLS[@]} * 4)) "$refused"
run at west west-committee reverse "$WEST_GOODS" --note 退回
check_rc "west's redemption of goods reversed before its pickup (its points back)" 0
run at east east-committee --json shop list
check_eq "east's supermarket is its own: west's rice is not on its shelves" 0 "$(jget '.rows | length')"
run at west west-committee --json shop list
check_eq "... and west's still has it, its stock back" 3 "$(jget '.rows[] | select(.item == "rice") | .stock')"
# The same keys are keys on east: the role matrix holds there.
run at east east-committee award "$H" meeting
check_rc "east's committee key on east: an award" 0
run at east east-terminal award "$H" meeting
check_rc "east's terminal key on east: no award (the role matrix)" 4
run at east east-auditor verify
check_rc "east's auditor key on east: verify" 0
# A key of one community is never enrolled with a scope.
newkey scoped
run at east admin key enrol "$KEYS/scoped.pub" auditor --label scoped --street s1
check_rc "a community key with a scope: refused" 1
check_contains "... says where such a key goes" "a key with a scope is a key of the service" "$ERR"

# --- 3. keys of the service --------------------------------------------------
newkey street-s1
run jf_as admin key enrol "$KEYS/street-s1.pub" auditor --label 街道审计 --street s1
check_rc "a street office's auditor, a key of the service for street s1" 0
newkey list-far
run jf_as admin key enrol "$KEYS/list-far.pub" terminal --label 远区前台 --communities far
check_rc "a terminal key of the service for the list 'far'" 0
run jf_as street-s1 --json community list
check_eq "the street office sees its street's communities" "east west" "$(jget '[.communities[].code] | join(" ")')"
run at east street-s1 --json balance "$H"
check_eq "... and reads each of them" 4 "$(jget .points)"
run at far street-s1 balance "$H"
check_rc "... but not a community of another street" 4
run at east street-s1 award "$H" meeting
check_rc "... and writes nothing its role may not" 4
run at far list-far household add 9-9-909
check_rc "the list key in its community: the role matrix holds (a terminal adds no household)" 4
run at far list-far bill 9-9-909 1.00 --period 2026-11
check_rc "... and what its role may is let through (refused for the unknown household)" 1
check_contains "... which is named" "9-9-909" "$ERR"
run at east list-far bill "$H" 1.00 --period 2026-11
check_rc "the list key on a community not in its list" 4
check_contains "... says so" "not for community east" "$ERR"
run jf_as street-s1 community create s1x --name x --street s1
check_rc "a street auditor creates no community" 4
run jf_as admin --json key list
check_eq "the service's key list shows scopes" "s1" "$(jget '[.keys[] | select(.label == "街道审计") | .scope.street] | join(" ")')"

# --- 4. the roll-up equals each community's own reports ------------------------
run jf_as admin --json report rollup --period 2026-11
check_rc "report rollup" 0
ROLLUP="$OUT"
for c in default east west far; do
    row=$(jq -c --arg c "$c" '.rows[] | select(.community == $c)' <<<"$ROLLUP")
    [ -n "$row" ] || { fail "roll-up: no row for $c"; continue; }
    tb=$(at "$c" admin --json report trial-balance)
    li=$(at "$c" admin --json report liability --period 2026-11)
    ag=$(at "$c" admin --json report ageing --period 2026-11)
    acct() { jq -r --arg a "$1" --arg f "$2" '[.rows[] | select(.account == $a) | .[$f]] | add // 0' <<<"$tb"; }
    item() { jq -r --arg i "$1" '.rows[] | select(.item == $i) | .value' <<<"$li"; }
    total() { jq -r --arg f "$1" '.rows[] | select(.household == "TOTAL") | .[$f]' <<<"$ag"; }
    # Issued and redeemed net of reversals (west's goods came back).
    billed=$(jq -r '.title' <<<"$ag" | sed -n 's/.*(billed \([0-9]*\), outstanding.*/\1/p')
    want="$(( $(acct community/points-issued debits) - $(acct community/points-issued credits) )) $(( $(acct community/points-redeemed credits) - $(acct community/points-redeemed debits) )) $(item points_outstanding) $(item points_pending) $(item owed_at_end_fen) $(item funder_overpaid_fen) $billed $((billed - $(total total_fen))) $(total days_0_30) $(total days_31_90) $(total days_91_180) $(total days_over_180)"
    got=$(jq -r '"\(.points_issued) \(.points_redeemed) \(.points_outstanding) \(.points_pending) \(.funder_owed_fen) \(.funder_overpaid_fen) \(.billed_fen) \(.collected_fen) \(.days_0_30) \(.days_31_90) \(.days_91_180) \(.days_over_180)"' <<<"$row")
    check_eq "roll-up row $c = its own reports (issued redeemed outstanding pending owed overpaid billed collected ageing)" "$want" "$got"
done
check_eq "households per community" "0 2 0 1" "$(jq -r '[.rows[] | select(.community != "TOTAL") | .households] | join(" ")' <<<"$ROLLUP")"
sums=$(jq -r '[.rows[] | select(.community != "TOTAL")] as $r | [ "households","points_issued","points_redeemed","points_outstanding","points_pending","funder_owed_fen","funder_overpaid_fen","billed_fen","collected_fen","days_0_30","days_31_90","days_91_180","days_over_180" ] | map(. as $k | $r | map(.[$k]) | add) | join(" ")' <<<"$ROLLUP")
totals=$(jq -r '.rows[] | select(.community == "TOTAL") | [.households,.points_issued,.points_redeemed,.points_outstanding,.points_pending,.funder_owed_fen,.funder_overpaid_fen,.billed_fen,.collected_fen,.days_0_30,.days_31_90,.days_91_180,.days_over_180] | join(" ")' <<<"$ROLLUP")
check_eq "the TOTAL row is the sum of the communities'" "$sums" "$totals"
check_match "something to add up" '^3 [1-9]' "$totals"
run jf_as street-s1 --json report rollup --period 2026-11
check_eq "the street office's roll-up: its communities and the total" "east west TOTAL" "$(jget '[.rows[].community] | join(" ")')"
run jf_as street-s1 report rollup --period 2026-11
check_contains "the roll-up for people: in Chinese" "2026-11 月各小区汇总（2 个小区" "$OUT"
check_contains "... its headings" "流通积分" "$OUT"
check_contains "... and the total" "合计" "$OUT"
run jf_as admin report rollup --street s9 --csv
check_contains "the roll-up as CSV: a UTF-8 BOM for Excel" $'\xef\xbb\xbf' "$OUT"
check_contains "--street: one street's communities, as CSV" "far,远区,s9," "$OUT"
check_not_contains "... none of another street" "east" "$OUT"
run at east east-admin report rollup
check_rc "a community's own admin: no roll-up of the service" 4

# --- 5. closed, unknown, unnamed ------------------------------------------
run jf_as admin community close far --note "合并到东区"
check_rc "community close far" 0
run at far admin household add 9-9-909
check_rc "a write to a closed community" 1
check_contains "... refused with its own status" "community_closed" "$ERR"
run at far admin verify
check_rc "... which is still read" 0
run jf_as admin --json community list
check_eq "the list says far is closed" true "$(jget '.communities[] | select(.code == "far") | .closed')"
run at nowhere admin balance "$H"
check_rc "an unknown community" 1
check_contains "... refused with its own status" "unknown_community" "$ERR"
run jf_as admin balance "$H"
check_rc "several communities and none named" 1
check_contains "... says to name one" "--community" "$ERR"
run jf_as admin --community east --json balance "$H"
check_rc "--community CODE on the command line" 0

# --- 6. a replica follows the whole service ------------------------------
P_EP=$ENDPOINT P_PID=$PID P_KEY=$SERVER_KEY
primary() { ENDPOINT=$P_EP SERVER_KEY=$P_KEY "$@"; }
mkdir -m 700 "$WORK/r"
"$JIFEN" keygen --out "$WORK/r/jifend" >/dev/null || die "keygen for the replica"
run jf_as admin key enrol "$WORK/r/jifend.pub" auditor --label 副本 --all-communities
check_rc "the replica's key: an auditor of every community" 0
start_daemon "$WORK/r" --replica-of "$P_EP" --replica-server-key "$P_KEY"
R_EP=$ENDPOINT R_PID=$PID R_KEY=$SERVER_KEY
# A community created after the replica started, and written to.
run primary jf_as admin community create south --name 南区 --street s2
check_rc "community create south on the primary" 0
newkey south-committee
run primary at south admin key enrol "$KEYS/south-committee.pub" committee --label south-committee
run primary at south south-committee household add "$H"
run primary at south south-committee award "$H" honour --points 7
check_rc "an award in south" 0
got=""
for ((i = 0; i < 200; i++)); do
    got=$(at south admin --json balance "$H" 2>/dev/null | jq -r .points || true)
    [ "$got" = 7 ] && break
    sleep 0.05
done
check_eq "the replica has south, created on the primary while it ran, and its award" 7 "$got"
run at east street-s1 --json verify
check_eq "... and east, the same head as the primary's" "$(primary at east street-s1 --json verify | jq -r .head)" "$(jget .head)"
run at east east-committee award "$H" meeting
check_rc "... and refuses writes" 4
stop_daemon
PID=$P_PID ENDPOINT=$P_EP SERVER_KEY=$P_KEY
stop_daemon

# --- 7. offline tools ---------------------------------------------------------
run "$JIFEND" --verify "$DATA" --json
check_rc "--verify of the whole service" 0
check_eq "... every ledger verified" "service communities/default communities/east communities/far communities/south communities/west" "$(jget '[.ledgers[].ledger] | join(" ")')"
check_eq "... and all of them ok" true "$(jget '[.ledgers[].ok] | all')"
run "$JIFEND" --verify "$DATA" --community west
check_rc "--verify of one community" 0
run "$JIFEND" --backup "$DATA" --community west --to "$WORK/west-backup"
check_rc "--backup of one community" 0
run "$JIFEND" --verify "$WORK/west-backup"
check_rc "... which verifies on its own" 0
run "$JIFEND" --backup "$DATA" --to "$WORK/service-backup"
check_rc "--backup of the whole service" 0
run "$JIFEND" --verify "$WORK/service-backup" --json
check_eq "... every ledger in it verifies" "true 6" "$(jget '[([.ledgers[].ok] | all), (.ledgers | length)] | join(" ")')"
run "$JIFEND" --export "$DATA" --community east --to "$WORK/east.jsonl"
check_rc "--export of one community" 0
run python3 "$JIFEN_SOURCE_DIR/tools/verify_export.py" "$WORK/east.jsonl"
check_rc "... checked by the independent checker" 0
run "$JIFEND" --rebuild "$DATA" --community east
check_rc "--rebuild of one community: its derived state is its journal's" 0
# The backup is a data directory: a service restored from it serves.
start_daemon "$WORK/service-backup" --test-clock "$CLOCK"
run at west west-auditor --json balance "$H"
check_eq "the restored service: west's balance" "$(( 5 + 5 - 5 ))" "$(jget .points)"
stop_daemon

# --- 8. an earlier release's one-community ledger ---------------------------
FIXTURE="$JIFEN_SOURCE_DIR/tests/fixtures/ledger-b928220"
OLD="$WORK/old"
mkdir -m 700 "$OLD"
cp "$FIXTURE"/{data.mdb,jifend.key,jifend.pub,checkpoint.key,checkpoint.pub} "$OLD/"
chmod 600 "$OLD"/*.key "$OLD/data.mdb"
run "$JIFEND" --verify "$OLD" --json
OLD_STATE=$(jget '"\(.entries) \(.head)"')
check_match "the old ledger verifies" '^[1-9][0-9]* [0-9a-f]{64}$' "$OLD_STATE"
mkdir -m 700 "$WORK/oldkeys"
cp "$FIXTURE"/keys/* "$WORK/oldkeys/"
chmod 600 "$WORK/oldkeys"/*.key
printf 'community = laoxiaoqu\n' >"$WORK/old.conf"
start_daemon "$OLD" --test-clock "$CLOCK" --config "$WORK/old.conf"
check_contains "taken over as the service's first community" "laoxiaoqu" "$(cat "$DAEMON_LOG")"
run "$JIFEN" --server "$ENDPOINT" --key "$WORK/oldkeys/auditor.key" --server-key "$OLD/jifend.pub" --json verify
check_rc "the old auditor key verifies the community" 0
check_eq "... with the old journal and head" "$OLD_STATE" "$(jget '"\(.entries) \(.head)"')"
stop_daemon
check_eq "its file moved under communities/" yes "$([ -e "$OLD/communities/laoxiaoqu/data.mdb" ] && [ ! -e "$OLD/data.mdb" ] && echo yes)"
finish
