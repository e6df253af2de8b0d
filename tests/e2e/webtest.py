"""webtest.py - what the browser tests share (tests/e2e/web_browser.py,
tests/e2e/web_communities.py): headless Chromium through Selenium, PASS and
FAIL lines, waits for pages that draw as answers arrive, forms, fetch()
from the page, screenshots. Importing it starts the browser.
"""
import os
import subprocess
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import (NoAlertPresentException, StaleElementReferenceException,
                                        TimeoutException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

URL = os.environ["URL"]
PASSWORD = os.environ["PASSWORD"]
CLOCK = os.environ["CLOCK"]
SHOTS = os.environ.get("SCREENSHOTS", "")


T0 = time.monotonic()


def ok(what):
    print("PASS: %s [%.1f s]" % (what, time.monotonic() - T0), flush=True)


FAILED = [0]


def bad(what):
    FAILED[0] += 1
    print("FAIL: " + what, flush=True)


def check(what, cond, detail=""):
    if cond:
        ok(what)
    else:
        bad(what + (": " + str(detail) if detail else ""))


def set_time(text):
    """The daemon's clock (jifend --test-clock), Asia/Shanghai text."""
    out = subprocess.run(["date", "-u", "-d", text + " +0800", "+%s"], check=True,
                         capture_output=True, text=True).stdout.strip()
    with open(CLOCK, "w") as f:
        f.write(str(int(out) * 1000))


profile = tempfile.mkdtemp(prefix="jifen-web-chromium-")
opts = webdriver.ChromeOptions()
opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
for a in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1280,900",
          "--lang=zh-CN"]:
    opts.add_argument(a)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
driver.set_page_load_timeout(30)
# Pages redraw as answers arrive: an element found a moment ago may be gone.
W = WebDriverWait(driver, 15, poll_frequency=0.05,
                  ignored_exceptions=[StaleElementReferenceException])


def css(sel, root=None):
    """The element, once the page has drawn it (pages draw as answers come)."""
    return W.until(lambda d: (root or d).find_element(By.CSS_SELECTOR, sel))


def text(sel):
    """The element's text, read again if the page redrew it meanwhile."""
    return W.until(lambda d: d.find_element(By.CSS_SELECTOR, sel).text + "\0")[:-1]


def wait_css(sel):
    return W.until(lambda d: d.find_element(By.CSS_SELECTOR, sel))


def wait_text(sel, text):
    """Waits until an element matching sel holds text; returns its text."""
    def got(d):
        for e in d.find_elements(By.CSS_SELECTOR, sel):
            if text in e.text:
                return e.text
        return False
    try:
        return W.until(got)
    except TimeoutException:
        texts = [e.text for e in driver.find_elements(By.CSS_SELECTOR, sel)]
        return "(timed out; saw %r)" % texts


def form_status(form_id, before=""):
    """The message a write form shows once its request is answered."""
    try:
        return W.until(lambda d: (lambda t: t if t and t != before else False)(
            css("#" + form_id + " .formstatus").text))
    except TimeoutException:
        return "(no answer)"


def fill(form_id, field, value):
    e = css("#%s-%s" % (form_id, field))
    if e.tag_name == "select":
        driver.execute_script("arguments[0].value = arguments[1]", e, value)
    else:
        e.clear()
        e.send_keys(value)


def wait_request_id(form_id):
    W.until(lambda d: css("#%s input[name=request_id]" % form_id).get_attribute("value"))
    return css("#%s input[name=request_id]" % form_id).get_attribute("value")


def submit(form_id, **fields):
    wait_request_id(form_id)
    for k, v in fields.items():
        fill(form_id, k, v)
    before = text("#" + form_id + " .formstatus")
    css("#%s button[type=submit]" % form_id).click()
    return form_status(form_id, before)


def fetch(method, path, body=None, csrf=True):
    """fetch() from the page itself: same origin, the session's cookie."""
    return driver.execute_async_script("""
        const [method, path, body, csrf, done] = arguments;
        const headers = {'Content-Type': 'application/json'};
        if (csrf && typeof S !== 'undefined' && S.session) headers['X-CSRF-Token'] = S.session.csrf;
        fetch(path, {method, headers, body: body === null ? undefined : JSON.stringify(body)})
          .then(async (r) => done({status: r.status, text: await r.text(),
                                   type: r.headers.get('Content-Type') || ''}))
          .catch((e) => done({status: 0, text: String(e)}));
    """, method, path, body, csrf)


def fetch_bytes(path):
    return driver.execute_async_script("""
        const [path, done] = arguments;
        fetch(path).then((r) => r.arrayBuffer()).then((b) => {
          const u = new Uint8Array(b); let s = '';
          for (let i = 0; i < Math.min(u.length, 16); i++) s += String.fromCharCode(u[i]);
          done(btoa(s));
        }).catch((e) => done(''));
    """, path)


def shot(name):
    """Both languages of the page as it is now, full height."""
    if not SHOTS:
        return
    for lang in ("zh", "en"):
        if lang == "en":
            css("#lang").click()
            time.sleep(0.3)
        driver.execute_script("window.scrollTo(0, 0)")
        h = driver.execute_script("return Math.max(document.documentElement.scrollHeight, 600)")
        driver.set_window_size(1280, min(h + 120, 4000))
        time.sleep(0.4)
        driver.save_screenshot(os.path.join(SHOTS, "%s-%s.png" % (name, lang)))
    css("#lang").click()
    time.sleep(0.3)
    driver.set_window_size(1280, 900)


def shot_phone(name, large=False):
    """The page on a phone-sized screen, in Chinese (large text: the mode
    for elderly residents)."""
    if not SHOTS:
        return
    if large:
        css("#large").click()
    driver.set_window_size(400, 900)
    time.sleep(0.4)
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(os.path.join(SHOTS, "%s-phone%s-zh.png" % (name, "-large" if large else "")))
    driver.set_window_size(1280, 900)
    if large:
        css("#large").click()


def sign_in(user, password=PASSWORD, expect_home=True):
    driver.get(URL + "/")
    wait_css("#signin")
    css("#user").send_keys(user)
    css("#password").send_keys(password)
    css("#signin button[type=submit]").click()
    if expect_home:
        W.until(lambda d: d.current_url.rstrip("/") != URL)
        wait_css("main h1")


def sign_out():
    css("#signout").click()
    W.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#signin"))


def no_alert(what):
    try:
        driver.switch_to.alert.dismiss()
        bad(what + ": a script ran (an alert was open)")
    except NoAlertPresentException:
        pwned = driver.execute_script("return window.pwned || 0")
        check(what + ": no injected script or handler ran", pwned == 0, pwned)


