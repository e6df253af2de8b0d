#!/usr/bin/env bash
# committee.sh - issue 15 through the real jifend and the real CLI
# (docs/committee.md): a sign-in roster in UTF-8 with a BOM imported and
# the same roster in GB18030 awarding nothing the second time, refused rows
# named by their line; a member's award and a proxy's on the statement;
# the points supermarket (points and stock in one entry, a redemption past
# the stock refused with nothing changed, a merchant owed and settled); the
# honour board masked; a passbook printed twice, the second print going on
# where the first stopped; opening balances whose totals agree, refused for
# a household with entries; and `jifend --rebuild` deriving every table of
# it the same. People's prints are checked in Chinese (the default) and
# once in English.
source "$(dirname "$0")/lib.sh"
command -v iconv >/dev/null || die "iconv is needed to write the GB18030 roster"

CLOCK="$WORK/clock"
set_time() { echo $(( $(date -u -d "$1 +0800" +%s) * 1000 )) >"$CLOCK"; }
export JIFEN_LANG=zh TZ=UTC
POLICY="$WORK/committee.conf"
cat >"$POLICY" <<'CONF'
version = c15
fen_per_point = 100
max_offset_percent = 50
[activity meeting]
description = 议事会
points = 2
max_per_month = 2
[activity volunteer]
points_per_hour = 1
max_hours = 4
[rule free-riding]
points = 1
suspend_months = 1
suspend_award_months = 1
CONF
set_time "2026-07-03 19:30"
start_daemon "$WORK/data" --test-clock "$CLOCK" --policy "$POLICY"

head_of() { jfj verify | jq -r .entries; }

for h in 3-2-501:王建国 3-2-502:李秀英 3-2-503:欧阳娜娜 5-1-101:张伟; do
    run jf household add "${h%%:*}" --name "${h#*:}"
    check_rc "household add ${h%%:*}" 0
done

# --- members and proxies ------------------------------------------------------
run jf member add 3-2-501 王奶奶 --relation 父母 --phone 13812341234
check_rc "member add (relation given in Chinese)" 0
check_contains "member add: in Chinese" "已登记 3-2-501 户的家庭成员 王奶奶（父母）" "$OUT"
run jf member add 3-2-501 王小明 --relation child --phone "139 0000 5678"
check_rc "member add child" 0
run jf member add 3-2-501 谁 --relation cousin
check_rc "an unknown relation is a usage error" 2
run jf proxy grant 3-2-501 王奶奶 王小明 --consent "授权书 2026-07 第3号"
check_rc "proxy grant" 0
check_contains "proxy grant: in Chinese" "王奶奶 同意由 王小明 代为办理" "$OUT"
run jf member list 3-2-501
check_contains "member list: the phone masked" "138****1234" "$OUT"
check_not_contains "member list: never the whole number" "13812341234" "$OUT"
check_contains "member list: who acts for whom" "王奶奶" "$OUT"

# --- a sign-in roster in UTF-8 with a BOM ----------------------------------------
# One sanctioned household (awards suspended), one at its monthly cap.
run jf award 3-2-503 volunteer --hours 1
run jf deduct 3-2-503 free-riding --note "不交物业费还占车位"
check_rc "a sanction that suspends awards" 0
run jf award 5-1-101 meeting --member 张伟 --event 另一个会 --date 2026-07-01
check_rc "5-1-101 reaches the monthly cap (its head, by the registered name)" 0
ROSTER="$WORK/roster-utf8.csv"
# 李秀英 and 张伟 are the names their households were registered with: the
# head, with no member entry needed.
printf '\xef\xbb\xbf门牌号,姓名,时长\r\n3-2-501,王奶奶,\r\n3-2-502,李秀英,\r\n9-9-999,无此人,\r\n3-2-502,李秀英,\r\n3-2-503,欧阳娜娜,\r\n5-1-101,张伟,\r\n"3-2-501",,\r\n' >"$ROSTER"
H0=$(head_of)
run jf award roster "$ROSTER" --activity meeting --event "小板凳会：自行车棚" --date 2026-07-03 --dry-run
check_rc "dry run: exit 1, rows would be refused" 1
check_contains "dry run: the encoding found" "UTF-8 (BOM)" "$OUT"
check_match "dry run: line 2 would be awarded" "第 2 行 +3-2-501 +王奶奶 +将奖励 2 分" "$OUT"
check_match "dry run: line 4 unknown household" "第 4 行 +9-9-999.*不予奖励：没有这个门牌号的住户" "$OUT"
check_match "dry run: line 5 a duplicate of line 3" "第 5 行 +3-2-502.*与第 3 行重复" "$OUT"
check_match "dry run: line 6 suspended" "第 6 行 +3-2-503.*暂停获得积分" "$OUT"
check_match "dry run: line 7 over the cap" "第 7 行 +5-1-101.*超过了规则允许的上限" "$OUT"
check_match "dry run: line 8 the household again" "第 8 行 +3-2-501.*与第 2 行重复" "$OUT"
check_contains "dry run: says nothing is recorded" "试算（未记账）" "$OUT"
check_eq "dry run: nothing written" "$H0" "$(head_of)"
run jfj award roster "$ROSTER" --activity meeting --event "小板凳会：自行车棚" --date 2026-07-03
check_rc "the roster, for real: rows refused, exit 1" 1
check_eq "real run: two households awarded" 2 "$(jget .households)"
check_eq "real run: 4 points" 4 "$(jget .points)"
check_eq "real run: rows refused" 5 "$(jget .refused)"
check_eq "real run: line 4's refusal" unknown_household "$(jget '.rows[] | select(.line == 4) | .status')"
check_eq "real run: the member on line 2's entry" 王奶奶 "$(jget '.rows[] | select(.line == 2) | .member')"
AWARD_ENTRY=$(jget '.rows[] | select(.line == 2) | .entry')
check_eq "balance after the roster" "2 0" "$(balance_of 3-2-501)"

# --- the same roster from Chinese Excel: GB18030 -----------------------------------
GB="$WORK/roster-gb.csv"
tail -c +4 "$ROSTER" | iconv -f UTF-8 -t GB18030 >"$GB"
run jf award roster "$GB" --activity meeting --event "小板凳会：自行车棚" --date 2026-07-03 --encoding utf-8
check_rc "GB18030 read as UTF-8: a usage error" 2
check_contains "it says which line and what to do" "第 1 行不是 UTF-8 文字" "$ERR"
check_contains "... and what it looks like" "GB18030" "$ERR"
H1=$(head_of)
run jfj award roster "$GB" --activity meeting --event "小板凳会：自行车棚" --date 2026-07-03
check_eq "GB18030 found by itself" gb18030 "$(jget .encoding)"
check_eq "the second import awards nobody" 0 "$(jget .households)"
check_eq "line 2: already awarded" already_awarded "$(jget '.rows[] | select(.line == 2) | .status')"
check_eq "line 3: already awarded" already_awarded "$(jget '.rows[] | select(.line == 3) | .status')"
check_eq "the names read right from GB18030" 李秀英 "$(jget '.rows[] | select(.line == 3) | .member')"
check_eq "the second import wrote nothing" "$H1" "$(head_of)"
check_eq "balance unchanged" "2 0" "$(balance_of 3-2-501)"
run jf --lang en award roster "$GB" --activity meeting --event "小板凳会：自行车棚" --date 2026-07-03 --dry-run
check_contains "in English on request" "a household counts once for an event" "$OUT"

# --- a corrected roster: one name added, the event typed with a stray space --------
run jf household add 3-2-504
CORRECTED="$WORK/roster-corrected.csv"
printf '门牌号,姓名\n3-2-501,王奶奶\n3-2-502,李秀英\n3-2-504,\n' >"$CORRECTED"
run jfj award roster "$CORRECTED" --activity meeting --event "小板凳会：自行车棚 " --date 2026-07-03
check_rc "a corrected roster: only 'already awarded' refusals, exit 0" 0
check_eq "... awards only the household added" "3-2-504" \
    "$(jget '[.rows[] | select(.status == "ok") | .household] | join(",")')"
check_eq "... the others already awarded" "already_awarded already_awarded" \
    "$(jget '[.rows[] | select(.line < 4) | .status] | join(" ")')"

# --- a UTF-8 roster with a line pasted in from a GB18030 file ------------------------
MIXED="$WORK/roster-mixed.csv"
{ printf '门牌号,姓名\n3-2-501,王奶奶\n'; printf '3-2-502,李秀英\n' | iconv -f UTF-8 -t GB18030; } >"$MIXED"
H4=$(head_of)
run jf award roster "$MIXED" --activity meeting --event "另一次活动" --date 2026-07-03
check_rc "a UTF-8 roster with a GB18030 line: refused" 2
check_contains "... named by that line" "第 3 行却不是 UTF-8 文字" "$ERR"
check_eq "... nothing written" "$H4" "$(head_of)"

# --- a proxy's award; both on the statement ----------------------------------------
run jf award 3-2-501 volunteer --hours 3 --member 王奶奶 --proxy 王小明 --note "代签"
check_rc "a proxy's award" 0
check_contains "the award's line names both" "member 王奶奶, by proxy 王小明" "$OUT"
run jf award 3-2-501 volunteer --hours 1 --member 王建国 --proxy 王小明
check_rc "a proxy without consent" 1
check_contains "refused: no consent" no_consent "$ERR"
run jf report statement 3-2-501 --period 2026-07
check_rc "the statement" 0
check_contains "the statement: in Chinese" "3-2-501 户 2026-07 积分与物业费对账单" "$OUT"
check_match "... its figures in words" "本月获得积分 +[0-9]+" "$OUT"
check_not_contains "... not by their names" "points_earned" "$OUT"
check_contains "the statement's lines" "本月明细" "$OUT"
check_match "the roster's award with its member" "$AWARD_ENTRY +.*议事会.* 2 .*成员 王奶奶" "$OUT"
check_match "the proxy's award" "志愿服务.* 3 .*成员 王奶奶（王小明 代 王奶奶 办理）" "$OUT"
run jfj report statement 3-2-501 --period 2026-07
check_eq "statement --json: the proxy" 王小明 "$(jget '.lines.rows[] | select(.command == "award" and .points == 3) | .proxy')"

# --- the points supermarket -----------------------------------------------------
run jf shop item rice-5kg --name 5斤装大米 --price 2 --funder merchant:laowang --funder-name 老王便利店 --value 15.00 --stock 2
check_rc "an item" 0
check_contains "item: in Chinese" "商品 rice-5kg「5斤装大米」，每件 2 分，库存 2" "$OUT"
run jfj shop redeem 3-2-501 rice-5kg --member 王奶奶 --proxy 王小明
check_rc "redeem goods" 0
REDEEM=$(jget .entry)
check_eq "points and the funder's due in one entry" \
    "points household/3-2-501/points community/points-redeemed 2;fee community/goods-redeemed funder/laowang 1500" \
    "$(jget '[.postings[] | "\(.asset) \(.debit) \(.credit) \(.amount)"] | join(";")')"
check_eq "the stock left" 1 "$(jget .stock_left)"
check_eq "points after" "3 0" "$(balance_of 3-2-501)"
H2=$(head_of)
run jf shop redeem 3-2-501 rice-5kg --quantity 2
check_rc "beyond the stock" 1
check_contains "refused: out_of_stock" out_of_stock "$ERR"
check_eq "nothing written" "$H2" "$(head_of)"
check_eq "points unchanged" "3 0" "$(balance_of 3-2-501)"
run jfj report stock
check_eq "stock unchanged" 1 "$(jget '.rows[] | select(.item == "rice-5kg") | .stock')"
run jf shop pickup "$REDEEM" --member 王奶奶
check_rc "pickup" 0
run jf shop pickup "$REDEEM"
check_rc "a second pickup" 1
check_contains "refused: already picked up" already_picked_up "$ERR"
run jfj report funders --period 2026-07
check_eq "the merchant is owed 15.00 yuan" 1500 "$(jget '.rows[] | select(.funder == "laowang") | .owed_fen')"
run jf funder settle laowang 15.01
check_rc "settling more than owed" 1
run jf funder settle laowang 15.00 --note "转账 2026-07-31"
check_rc "the merchant settled" 0
run jfj report funders --period 2026-07
check_eq "owed after settling" 0 "$(jget '.rows[] | select(.funder == "laowang") | .owed_fen')"
check_eq "paid this month" 1500 "$(jget '.rows[] | select(.funder == "laowang") | .settled_fen')"
run jf report redemptions --period 2026-07
check_contains "redemptions per item, in Chinese" "已领取" "$OUT"

# --- the honour board ---------------------------------------------------------------
run jf report honour --period 2026-07
check_rc "honour board" 0
check_contains "honour board: title" "光荣榜  2026年7月" "$OUT"
check_contains "honour board: door numbers masked" "3-2-5**" "$OUT"
check_contains "honour board: names masked" "王**" "$OUT"
check_not_contains "honour board: no whole name" "王建国" "$OUT"
check_not_contains "honour board: no whole door number" "3-2-501" "$OUT"

# --- the passbook, twice ------------------------------------------------------------
run jf passbook 3-2-501
check_rc "first print" 0
check_contains "passbook: in Chinese" "积分存折  3-2-501  王建国" "$OUT"
check_contains "passbook: the roster's award" "议事会" "$OUT"
check_contains "passbook: the goods" "兑换 5斤装大米" "$OUT"
FIRST=$(grep -c '^26-07' <<<"$OUT" || true)
check_eq "first print: three lines" 3 "$FIRST"
run jf passbook 3-2-501
LAST_LINE=$(jfj passbook 3-2-501 --reprint 1 | jq -r '.lines[-1].entry')
check_contains "nothing new: nothing printed, and where it ended" "自上次打印（至条目 $LAST_LINE）以来没有新记录" "$OUT"
set_time "2026-07-04 10:00"
run jf award 3-2-501 volunteer --hours 1 --member 王奶奶
run jfj passbook 3-2-501
check_eq "second print: only the new line" 1 "$(jget '.lines | length')"
check_eq "... numbered after the first print's" 4 "$(jget '.lines[0].line')"
check_eq "... with the running balance" 4 "$(jget '.lines[0].balance')"
run jfj passbook 3-2-501 --reprint "$AWARD_ENTRY"
check_eq "a reprint from the first line: all four" 4 "$(jget '.lines | length')"
run jfj passbook 3-2-501
check_eq "a reprint did not move the mark" 0 "$(jget '.lines | length')"

# --- opening balances from the paper ledgers ----------------------------------------
for h in 8-1-101 8-1-102 8-1-103; do jf household add "$h" >/dev/null; done
OPEN="$WORK/opening.csv"
printf '门牌号,积分,物业费余额,日期,台账,页\n8-1-101,86,360.00,2025-12-31,2025年积分台账第2册,17\n8-1-102,40,-120.50,2025-12-31,2025年积分台账第2册,18\n8-1-103,0,88,2025-12-30,2025年积分台账第2册,18\n' |
    iconv -f UTF-8 -t GB18030 >"$OPEN"
H3=$(head_of)
run jf import opening "$OPEN" --dry-run
check_rc "opening dry run" 0
check_contains "dry run: file totals" "文件共 3 户，积分 126，欠费 448.00 元，预缴 120.50 元" "$OUT"
check_eq "dry run: nothing written" "$H3" "$(head_of)"
run jf import opening "$OPEN"
check_rc "opening import" 0
check_match "totals side by side: points" "积分合计 +126 +126" "$OUT"
check_match "totals side by side: owed" "欠费合计（元） +448.00 +448.00" "$OUT"
check_contains "they agree" "一致：账本与纸质台账相符" "$OUT"
check_eq "8-1-102 prepaid" "40 -12050" "$(balance_of 8-1-102)"
BAD="$WORK/opening-bad.csv"
printf 'household,points,fee,date,book,page\n3-2-502,10,0,2025-12-31,book 2,3\n' >"$BAD"
run jfj import opening "$BAD"
check_rc "an opening for a household with entries" 1
check_eq "refused: household_has_entries" household_has_entries "$(jget '.rows[0].status')"
check_eq "totals do not agree" false "$(jget .agree)"
run jf import opening "$BAD"
check_contains "... said in Chinese, by its line" "第 2 行   3-2-502     不予导入：这户已有记账记录" "$OUT"
check_contains "... and the totals do not agree" "不一致！" "$OUT"

# --- help -----------------------------------------------------------------------------
run "$JIFEN" help shop
check_rc "help of a group" 0
for sub in item withdraw stock redeem pickup list; do
    check_contains "help shop: shop $sub" "shop $sub" "$OUT"
done
run "$JIFEN" help
check_match "help: the committee's commands by role" "committee \(household[^)]*member,[^)]*import opening\)" "$(tr '\n' ' ' <<<"$OUT")"
run jf award roster "$ROSTER" --activity meeting --event x --request-id mine
check_rc "a roster makes its own request ids: --request-id refused" 2

# --- everything derived the same from the journal -------------------------------------
check_eq "verify" true "$(jfj verify | jq -r .ok)"
stop_daemon
run "$JIFEND" --rebuild "$WORK/data" --policy "$POLICY"
check_rc "jifend --rebuild" 0
check_contains "every derived table the same" "every derived table is the same" "$OUT"
finish
