#!/usr/bin/python3
"""web_communities.py - jifen-web in a service of many communities, and
residents' proofs checked in the browser, in headless Chromium (run by
tests/e2e/web_communities.sh, which starts jifend with communities east and
west on street jiefang and far on another, and jifen-web with its users).

Every check prints "PASS: ..." or "FAIL: ..."; the exit status is the
number of failures. With SCREENSHOTS=DIR it also saves the new pages.
"""
import base64
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from webtest import *  # noqa: F401,F403 (the shared helpers; it starts the browser)
from webtest import FAILED

# `jifen-web link` prints the path alone when no public_url is set.
LINK_EAST = URL + os.environ["LINK_EAST"] if os.environ["LINK_EAST"].startswith("/") else os.environ["LINK_EAST"]
LINK_WEST = URL + os.environ["LINK_WEST"] if os.environ["LINK_WEST"].startswith("/") else os.environ["LINK_WEST"]
PUB = os.environ["CHECKPOINT_PUB"]
PERIOD = "2026-11"


def cli(community, role, *args, want_json=True):
    """The CLI with community's own key of role (KEYS/C-ROLE.key)."""
    cmd = [os.environ["JIFEN"], "--server", os.environ["ENDPOINT"], "--server-key", os.environ["SERVER_KEY"],
           "--key", "%s/%s-%s.key" % (os.environ["KEYS"], community, role), "--community", community]
    r = subprocess.run(cmd + (["--json"] if want_json else []) + list(args), capture_output=True, text=True)
    if not want_json:
        return r
    return json.loads(r.stdout) if r.stdout.strip() else {}


def west_state():
    v = cli("west", "auditor", "verify")
    b = cli("west", "auditor", "balance", "1-1-101")
    return (v.get("entries"), v.get("head"), b.get("points"), b.get("fee_due_fen"))


def fetch_with(method, path, body, header, value):
    """A crafted call from the page: the session's cookie and CSRF token,
    and one header of the caller's choosing."""
    return driver.execute_async_script("""
        const [method, path, body, header, value, done] = arguments;
        const headers = {'Content-Type': 'application/json', 'X-CSRF-Token': S.session.csrf};
        headers[header] = value;
        fetch(path, {method, headers, body: body === null ? undefined : JSON.stringify(body)})
          .then(async (r) => done({status: r.status, text: await r.text()}))
          .catch((e) => done({status: 0, text: String(e)}));
    """, method, path, body, header, value)


def proof_cells():
    return driver.execute_script(
        "return [...document.querySelectorAll('span.proof')].map((s) => [s.dataset.entry, s.className, s.textContent])")


def resident(link):
    driver.get(link)
    wait_css("#proof-summary")
    return proof_cells()


def tamper_script(js):
    """Runs js before the page's own scripts on every page load from now
    (DevTools, not subject to the page's CSP): a fetch() that alters the
    statement the server sent, as a tampering server or network would."""
    return driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
        const realFetch = window.fetch;
        window.fetch = async (...args) => {
          const r = await realFetch(...args);
          if (!String(args[0]).startsWith('/api/public/statement')) return r;
          const d = await r.json();
          (%s)(d);
          return new Response(JSON.stringify(d), {status: r.status, headers: {'Content-Type': 'application/json'}});
        };""" % js})["identifier"]


def untamper(ident):
    driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": ident})


def report_total(community, kind):
    """The TOTAL row (or the items) of a community's own report, by the CLI."""
    return cli(community, "auditor", "report", kind, "--period", PERIOD)


try:
    # --- a user of community east ----------------------------------------
    sign_in("desk-east")
    check("desk-east lands on the desk", driver.current_url.endswith("/desk"), driver.current_url)
    check("a user of one community sees no community selector", not driver.find_elements(By.CSS_SELECTOR, "#community"))
    css("#q").send_keys("1-1-101")
    css("#search button[type=submit]").click()
    wait_css("#household")
    check("east's 1-1-101 is east's household (王芳), not west's (李娜)",
          text("#household .name") == "王芳", text("#household .name"))
    wait_css("#resident-link")
    check("the resident's link the desk prints names community east",
          "/r/east/1-1-101/" in css("#resident-link").get_attribute("href"), css("#resident-link").get_attribute("href"))
    before = west_state()
    r = fetch("POST", "/api/session/community", {"community": "west"})
    check("a user of east choosing west: 403 forbidden_community",
          r["status"] == 403 and "forbidden_community" in r["text"], r)
    r = fetch("GET", "/api/household?h=1-1-101&community=west")
    check("?community=west in the query changes nothing: still east's household",
          r["status"] == 200 and "王芳" in r["text"] and "李娜" not in r["text"], r)
    r = fetch("POST", "/api/desk/pay", {"household": "1-1-101", "amount": "1", "request_id": "crafted-w1", "community": "west"})
    check("a community field in a write: 400, refused not ignored", r["status"] == 400, r)
    r = fetch_with("POST", "/api/desk/pay", {"household": "1-1-101", "amount": "1", "request_id": "crafted-w2"},
                   "X-Jifen-Community", "west")
    check("a write sent 'for west' by a user of east: 409 community_changed",
          r["status"] == 409 and "community_changed" in r["text"], r)
    r = fetch("GET", "/api/reports/rollup?period=" + PERIOD)
    check("a desk user asking for the roll-up: 403", r["status"] == 403, r)
    check("west's ledger is unchanged by every crafted request", west_state() == before, (before, west_state()))
    m = submit("pay", amount="10")
    check("desk-east takes a payment of 10.00", "已记账" in m, m)
    pays = [e for e in cli("east", "auditor", "history", "1-1-101")["entries"] if e["command"] == "pay"]
    check("... in east's ledger, by desk-east", pays and pays[0]["author"] == "desk-east", pays[:1])
    check("... and nothing in west's", west_state() == before, (before, west_state()))
    shot("desk-east")
    sign_out()

    # --- the street office: the roll-up ----------------------------------
    sign_in("street")
    check("the street office lands on the roll-up", "/street" in driver.current_url, driver.current_url)
    opts = [o.get_attribute("value") for o in driver.find_elements(By.CSS_SELECTOR, "#community option")]
    check("the selector lists the street's communities only", opts == ["east", "west"], opts)
    driver.get(URL + "/street?period=" + PERIOD)
    wait_text("#rollup table", "合计")
    rows = driver.execute_script(
        "return [...document.querySelectorAll('#rollup tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent))")
    check("the roll-up shows east, west and the total; not far (another street)",
          [r[0] for r in rows] == ["east", "west", "合计"], [r[0] for r in rows])
    data = json.loads(fetch("GET", "/api/reports/rollup?period=" + PERIOD)["text"])
    col = {c: i for i, c in enumerate(data["columns"])}
    by = {r[0]: r for r in data["rows"]}
    sums = {}
    for c in ("east", "west"):
        ag = report_total(c, "ageing")
        tot = ag["rows"][-1]
        li = {x["item"]: x["value"] for x in report_total(c, "liability")["rows"]}
        own = {"days_0_30": tot["days_0_30"], "days_31_90": tot["days_31_90"], "days_91_180": tot["days_91_180"],
               "days_over_180": tot["days_over_180"], "points_outstanding": li["points_outstanding"],
               "funder_owed_fen": li["owed_at_end_fen"]}
        for k, v in own.items():
            sums[k] = sums.get(k, 0) + v
        got = {k: int(by[c][col[k]]) for k in own}
        check("the roll-up's row of %s equals its own ageing and liability reports" % c, got == own, (got, own))
    total = {k: int(by["TOTAL"][col[k]]) for k in sums}
    check("the TOTAL row is the sum of the communities' own reports", total == sums, (total, sums))
    check("the total's arrears show in yuan on the page",
          rows[-1][col["days_31_90"]] == data["display"][-1][col["days_31_90"]] and "." in rows[-1][col["days_31_90"]],
          rows[-1])
    bom = base64.b64decode(fetch_bytes("/api/reports/rollup?period=%s&format=csv" % PERIOD))
    text_csv = fetch("GET", "/api/reports/rollup?period=%s&format=csv" % PERIOD)["text"]
    firsts = [r[0] for r in csv.reader(io.StringIO(text_csv.lstrip("\ufeff"))) if r]
    check("the roll-up as CSV: a UTF-8 BOM, a row per community and the total (合计)",
          bom[:3] == b"\xef\xbb\xbf" and "east" in firsts and "合计" in firsts and "far" not in firsts,
          firsts)
    head = base64.b64decode(fetch_bytes("/api/reports/rollup?period=%s&format=xlsx" % PERIOD))
    check("the roll-up as Excel: an .xlsx (zip) file", head[:2] == b"PK", head)
    W.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#street-charts svg")) == 2)
    ok("two charts of the roll-up drawn as SVG")
    shot("street")
    shot_phone("street")
    # A click through to one community's reports.
    css("#rollup a.open-community[data-community=west]").click()
    W.until(lambda d: "/audit" in d.current_url)
    wait_css("#report-ageing table")
    check("the click opens west's reports, west chosen in the header",
          css("#community").get_attribute("value") == "west", css("#community").get_attribute("value"))
    r = fetch("GET", "/api/reports/ageing?period=" + PERIOD)
    west_rows = json.loads(r["text"])["rows"]
    check("... west's own ageing (1-1-101 paid up in west)", all(x[0] != "1-1-101" or x[-1] == "0" for x in west_rows),
          west_rows)
    Select(css("#community")).select_by_value("east")
    W.until(lambda d: d.find_element(By.CSS_SELECTOR, "#community").get_attribute("value") == "east")
    txt = wait_text("#report-ageing table", "1-1-102")
    check("switching to east in the header shows east's reports (1-1-102)", "1-1-102" in txt, txt)
    shot("audit-community")
    r = fetch("POST", "/api/session/community", {"community": "far"})
    check("the street office choosing far (another street): 403", r["status"] == 403, r)
    r = fetch_with("GET", "/api/reports/ageing?period=" + PERIOD, None, "X-Jifen-Community", "far")
    check("... or naming far in the header: 409, nothing answered", r["status"] == 409, r)
    r = fetch("GET", "/api/reports/ageing?period=" + PERIOD)
    check("the session still works in east", r["status"] == 200 and "1-1-102" in r["text"], r["status"])
    r = fetch("POST", "/api/desk/pay", {"household": "1-1-101", "amount": "1", "request_id": "crafted-s1"})
    check("the street office's crafted payment: 403", r["status"] == 403, r)
    sign_out()

    # --- residents: proofs in the browser --------------------------------
    driver.delete_all_cookies()
    cells = resident(LINK_EAST)
    check("the resident's page of east names its community", "东区" in text("main"), text("main")[:200])
    check("... and shows east's household, masked (王*)", "王*" in text("main") and "李" not in text("main"), text("main")[:300])
    checked = [c for c in cells if "later" not in c[1]]
    check("every entry covered by the signed tree head is verified in the browser",
          checked and all("ok" in c[1] and "已核验" in c[2] for c in checked), cells)
    sig = css("#head-signature")
    check("the tree head's Ed25519 signature holds (SubtleCrypto)", sig.get_attribute("data-verdict") == "holds",
          sig.get_attribute("data-verdict") + " " + sig.text)
    W.until(lambda d: d.execute_script("const i = document.querySelector('figure.qr img'); return i && i.complete"))
    check("the tree head's QR code (SVG from jifen-web) is drawn",
          driver.execute_script("return document.querySelector('figure.qr img').naturalWidth") > 0)
    line = text("#tree-head")
    driver.set_window_size(400, 900)
    wide = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    check("on a phone the page fits the screen's width (no sideways scrolling)", wide[0] <= wide[1], wide)
    driver.set_window_size(1280, 900)
    shot("resident-proofs")
    shot_phone("resident-proofs", large=True)

    # The same proofs by the CLI's checker and the Python one.
    q = LINK_EAST.split("/r/", 1)[1].split("/")
    with urllib.request.urlopen("%s/api/public/statement?community=%s&h=%s&t=%s" % (URL, q[0], q[1], q[2])) as f:
        st = json.load(f)
    proofs = [e["proof"] for e in st["entries"] if "proof" in e]
    doc = {"kind": "statement", "format": st.get("format"), "household": q[1], "tree_head": st["tree_head"],
           "entries": proofs}
    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f)
    r = subprocess.run(["python3", os.environ["CHECKER"], "--proof", path, "--checkpoint-key", PUB],
                       capture_output=True, text=True)
    os.unlink(path)
    check("tools/verify_export.py accepts the page's proofs (jifen-proof-1), signature included",
          r.returncode == 0 and "statement ok: %d entries" % len(proofs) in r.stdout, r.stdout + r.stderr)
    r = [cli("east", "auditor", "proof", str(p["entry"]), "--checkpoint", st["tree_head"], "--checkpoint-key", PUB,
             want_json=False).returncode for p in proofs]
    check("the CLI's checker says ok for each of them (jifen proof N --checkpoint LINE)", r and set(r) == {0}, r)
    check("the CLI and the page check against the same line", st["tree_head"] == line, (st["tree_head"], line))

    # Against the line on the notice sheet, typed in.
    fill_line = css("#sth-line")
    fill_line.send_keys(line)
    css("#sth-form button").click()
    wait_css("#proof-summary")
    check("checked against the notice sheet's line typed in: verified",
          "已核验" in text("#proof-summary"), text("#proof-summary"))

    # A tampered proof: one hash of one entry's audit path changed.
    first = checked[-1][0]
    ident = tamper_script("""(d) => {
        const e = d.entries.find((x) => String(x.entry) === '%s');
        const h = e.proof.path[0];
        e.proof.path[0] = (h[0] === '0' ? '1' : '0') + h.slice(1);
    }""" % first)
    cells = resident(LINK_EAST)
    bad_one = [c for c in cells if c[0] == first]
    others = [c for c in cells if c[0] != first and "later" not in c[1]]
    check("a tampered proof: that entry says 'not verified'",
          bad_one and "bad" in bad_one[0][1] and "未通过核验" in bad_one[0][2], bad_one)
    check("... the others still verified", others and all("ok" in c[1] for c in others), others)
    check("... and the page says history may have been rewritten", "未通过核验" in text("#proof-summary"),
          text("#proof-summary"))
    shot("resident-tampered")
    untamper(ident)
    # Tampered stored bytes (the entry itself changed).
    ident = tamper_script("""(d) => {
        const e = d.entries.find((x) => String(x.entry) === '%s');
        const b = atob(e.proof.stored);
        e.proof.stored = btoa(b.slice(0, -1) + String.fromCharCode(b.charCodeAt(b.length - 1) ^ 1));
    }""" % first)
    cells = resident(LINK_EAST)
    bad_one = [c for c in cells if c[0] == first]
    check("an entry's stored bytes changed: 'not verified'", bad_one and "bad" in bad_one[0][1], bad_one)
    untamper(ident)
    # A forged tree head: its root changed, the signature cannot hold.
    ident = tamper_script("""(d) => {
        const f = d.tree_head.split(' ');
        f[3] = (f[3][0] === 'A' ? 'B' : 'A') + f[3].slice(1);
        d.tree_head = f.join(' ');
    }""")
    cells = resident(LINK_EAST)
    check("a forged tree head: the signature does not hold",
          css("#head-signature").get_attribute("data-verdict") == "forged", css("#head-signature").text)
    check("... and no entry is verified against it",
          all("ok" not in c[1] for c in cells), cells)
    untamper(ident)
    cells = resident(LINK_EAST)
    check("without the tampering every covered entry verifies again",
          all("ok" in c[1] or "later" in c[1] for c in cells), cells)

    # Links bind their community.
    driver.get(LINK_EAST.replace("/r/east/", "/r/west/"))
    m = wait_text("main", "无效")
    check("east's link with west put in: refused (another community's household of the same door)", "无效" in m, m)
    driver.get(LINK_EAST.replace("/r/east/", "/r/"))
    m = wait_text("main", "无效")
    check("east's token without its community (the old form): refused", "无效" in m, m)
    cells = resident(LINK_WEST)
    check("west's own link opens west's 1-1-101 (李*)", "李*" in text("main") and "王" not in text("main"),
          text("main")[:300])

    # The board names its community and checks its head.
    driver.get(URL + "/board?community=east&period=" + PERIOD)
    wait_css("#head-signature")
    check("the board of east names it", "东区" in text("main h2"), text("main h2"))
    check("the board's signed tree head holds", css("#head-signature").get_attribute("data-verdict") == "holds",
          css("#head-signature").text)
    shot("board-east")
finally:
    driver.quit()
    subprocess.run(["rm", "-rf", profile])

print("%d failed" % FAILED[0])
sys.exit(min(FAILED[0], 100))
