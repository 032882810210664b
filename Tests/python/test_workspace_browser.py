"""The ЦУР workspace end to end in Debian's Chromium (Selenium + chromium-driver), against the real platform:
nats-server, PostgreSQL, glewlwyd (sign-in through its own login page), the four services and the gateway.

Flows of issue #11: an operator signs in, corrects a classification and assigns an appeal; an agency executor
signs in, sees only their agency's appeals and answers one; the citizen page shows "answered", accepts one
rating and refuses a second; the dashboard and the queues reflect changes (live, without reloading).
Screenshots of every screen go to $VECHE_STATE_DIR/screenshots (not committed)."""
import datetime
import functools
import json
import os
import time
import uuid

import pytest
import requests
from conftest import SECRETS, Platform, bearer, user_token, wait_port

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

# The web client's redirect URI is registered for the gateway's configured port (scripts/idp_setup.py).
HTTP_PORT = int(os.environ.get("VECHE_HTTP_PORT", "8080"))
SHOTS = os.path.join(os.environ.get("VECHE_STATE_DIR", "/var/tmp/veche"), "screenshots")


@pytest.fixture(scope="module")
def platform():
    p = Platform()
    p.http_port = HTTP_PORT
    try:
        for name in ("agency-service", "appeal-service", "rating-service"):
            p.start(name)
        p.start("gateway", env={"VECHE_WEB_CLIENT_SECRET_FILE": os.path.join(SECRETS, "clients", "veche-web")})
        wait_port(p.http_port, timeout=60)
        operator = operator_headers()
        deadline = time.time() + 90
        while time.time() < deadline:   # services migrate and seed first
            try:
                if requests.get(p.http_url + "/api/v1/appeals?page_size=1", headers=operator, timeout=3).status_code == 200 and \
                        requests.get(p.http_url + "/open311/v2/services.json", timeout=3).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.3)
        assert p.procs["gateway"].poll() is None, "the gateway did not start (is the port taken?)"
    except BaseException:
        p.stop()
        raise
    yield p
    codes = p.stop()
    assert all(c == 0 for c in codes.values()), codes


@functools.lru_cache(maxsize=None)
def operator_headers():
    return bearer(user_token("operator"))


def submit(platform, text, title, ext):
    """An appeal taken by phone by the operator (API), with the citizen's access token."""
    r = requests.post(platform.http_url + "/api/v1/appeals", headers=operator_headers(), timeout=15, json={
        "channel": "phone", "externalId": ext, "title": title, "text": text, "municipalityOktmo": "38701000",
        "address": "г. Курск, ул. Ленина, 10", "location": {"latitude": 51.7304, "longitude": 36.1926},
        "author": {"fullName": "Иванов Иван Иванович", "phone": "+79001234567", "email": "ivanov@example.ru"}})
    assert r.status_code == 201, r.text
    return r.json()["appeal"], r.json()["citizenToken"]


@pytest.fixture(scope="module")
def appeals(platform):
    heating, token = submit(platform, "В доме по ул. Ленина, 10 нет отопления в квартирах третий день, батареи холодные.",
                            "Нет отопления", "e2e-" + uuid.uuid4().hex[:8])
    road, _ = submit(platform, "На улице Дзержинского огромная яма на проезжей части, машины повреждают колёса.",
                     "Яма на дороге", "e2e-" + uuid.uuid4().hex[:8])
    return {"heating": heating, "token": token, "road": road}


def browser(width=1366, height=900):
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=ru-RU",
                f"--window-size={width},{height}"):
        o.add_argument(arg)
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.implicitly_wait(0)
    return d


def shot(driver, name):
    os.makedirs(SHOTS, exist_ok=True)
    height = driver.execute_script("return document.body.scrollHeight")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, max(600, min(height + 120, 4000)))
    driver.save_screenshot(os.path.join(SHOTS, name + ".png"))


def wait(driver, seconds=20):
    """A wait whose condition is asked again when the page replaced an element it was reading (the queue and the
    dashboard replace their rows live, so a condition can meet a row that is gone a moment later)."""
    return WebDriverWait(driver, seconds, ignored_exceptions=[StaleElementReferenceException])


def sign_in(driver, platform, username, path="/ws"):
    """The real sign-in: the gateway sends the browser to glewlwyd's login page, the person types the
    username and password, consents to the scopes once, and comes back signed in."""
    with open(os.path.join(SECRETS, "users.json")) as f:
        users = json.load(f)
    driver.get(platform.http_url + path)
    try:
        wait(driver, 30).until(lambda d: d.current_url.startswith(platform.http_url + path) or d.find_elements(By.ID, "password"))
    except Exception:
        shot(driver, "sign-in-failed-" + username)
        raise AssertionError(f"no login form at {driver.current_url}: {driver.find_element(By.TAG_NAME, 'body').text[:500]}")
    if driver.current_url.startswith(platform.http_url + path):
        return
    user = driver.find_element(By.ID, "username")
    user.clear()
    user.send_keys(username)
    driver.find_element(By.ID, "password").send_keys(users[username]["password"])
    driver.find_element(By.ID, "loginbut").click()
    deadline = time.time() + 40
    while time.time() < deadline and not driver.current_url.startswith(platform.http_url):
        # glewlwyd asks the person to tick the scopes the client wants the first time, then to continue.
        grant = displayed_buttons(driver, "Grant access")
        if grant:
            for box in driver.find_elements(By.CSS_SELECTOR, "input[type=checkbox]:not(:checked):not(:disabled)"):
                box.click()
            shot(driver, "00-sign-in-consent-" + username)
            click(grant[0])
            # The grant is saved by an asynchronous PUT, and the panel closes when it has answered: "Continue"
            # clicked before that signs in without the scope (a token not intended for veche, refused with 401).
            wait(driver, 20).until(lambda d: not displayed_buttons(d, "Grant access"))
        for b in displayed_buttons(driver, "Continue"):
            click(b)
        time.sleep(0.5)
    if not driver.current_url.startswith(platform.http_url + path):
        shot(driver, "sign-in-stuck-" + username)
        raise AssertionError(f"sign-in did not come back: {driver.current_url}: {driver.find_element(By.TAG_NAME, 'body').text[:500]}")


def displayed_buttons(driver, label):
    """The enabled buttons on the page whose text contains `label`."""
    out = []
    for b in driver.find_elements(By.XPATH, f"//button[contains(normalize-space(.), '{label}')]"):
        try:
            if b.is_displayed() and b.is_enabled():
                out.append(b)
        except StaleElementReferenceException:
            pass   # re-rendered meanwhile: the next look finds the new one
    return out


def click(button):
    """Clicks a button that may be re-rendered meanwhile (a stale one is left: the next pass finds it again)."""
    try:
        button.click()
    except Exception:
        pass


def rows(driver):
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "table.queue tbody tr td[data-label='Номер'] a")]


def page_replaced(element):
    """True once `element` no longer belongs to the page shown. Selenium's `staleness_of` expects a stale-element
    error; Chromium 156 answers a query about a node of a replaced document with a generic inspector error ("Node
    with given id does not belong to the document"), which is the same fact."""
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as e:
        if "does not belong to the document" in str(e) or "No node with given id" in str(e):
            return True
        raise


def click_and_wait_for_page(driver, button, flash=".flash.ok"):
    """Clicks a form's button and waits for the page the server answers with: first the old page gone, then the
    new page's flash (the page before may already show the flash of an earlier action, so waiting for the flash
    alone can return at once and then read elements of a page that is being replaced)."""
    page = driver.find_element(By.TAG_NAME, "html")
    button.click()
    wait(driver).until(lambda d: page_replaced(page))
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, flash)))


def submit_form(driver, form_css):
    form = driver.find_element(By.CSS_SELECTOR, form_css)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def test_operator_corrects_classification_and_assigns(platform, appeals):
    """The operator sees the new appeal in the triage queue with its deadline countdown, corrects its category
    in one step (recorded as a classification event), registers it and assigns it to the committee of housing
    picked from the routing-filtered list; a stale second submission of the same form is refused."""
    d = browser()
    try:
        sign_in(d, platform, "operator")
        number = appeals["heating"]["number"]
        d.get(platform.http_url + "/ws?queue=all")
        assert number in rows(d)
        badge = d.find_element(By.CSS_SELECTOR, f"tr[data-id='{appeals['heating']['id']}'] .cd")
        assert badge.text.split(":")[0] in ("регистрация", "перенаправление", "ответ") and "осталось" in badge.text
        assert "cd-ok" in badge.get_attribute("class")     # a fresh appeal: weeks left, green
        shot(d, "01-operator-queue")

        d.get(platform.http_url + "/ws/appeals/" + appeals["heating"]["id"])
        shot(d, "02-operator-card")
        assert "Иванов Иван Иванович" in d.page_source          # the operator sees personal data
        assert d.find_element(By.CSS_SELECTOR, "figure.map svg circle.muni-here")
        Select(d.find_element(By.CSS_SELECTOR, "form[action$='/classification'] select[name=category]")).select_by_value("housing/housing.water_supply")
        d.find_element(By.CSS_SELECTOR, "form[action$='/classification'] input[name=comment]").send_keys("нет горячей воды в стояке")
        stale = d.page_source
        submit_form(d, "form[action$='/classification']")
        wait(d).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash.ok")))
        assert "Классификация" in d.find_element(By.CSS_SELECTOR, "table.history").text
        shot(d, "03-operator-card-reclassified")

        # A stale tab: the same (already used) form again — its idempotency key is spent on a different body and its
        # version is old — is refused (key reuse or version conflict), not applied twice.
        d.execute_script("document.open(); document.write(arguments[0]); document.close();", stale)
        d.find_element(By.CSS_SELECTOR, "form[action$='/classification'] button[type=submit]").click()
        wait(d).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash.err")))
        refusal = d.find_element(By.CSS_SELECTOR, ".flash.err").text
        assert any(m in refusal for m in ("Действие невозможно", "верси", "Ключ идемпотентности уже использован")), refusal
        shot(d, "04-operator-stale-refused")

        d.get(platform.http_url + "/ws/appeals/" + appeals["heating"]["id"])
        if d.find_elements(By.CSS_SELECTOR, "form.action input[name=action][value=register]"):
            click_and_wait_for_page(d, d.find_element(By.XPATH, "//form[input[@name='action' and @value='register']]//button"))
        form = d.find_element(By.XPATH, "//form[input[@name='action' and @value='assign']]")
        picker = Select(form.find_element(By.NAME, "agency_id"))
        offered = [o.get_attribute("value") for o in picker.options]
        assert "kursk-zhkh" in offered and "kursk-city-roads" not in offered, offered   # competent for housing only
        picker.select_by_value("kursk-zhkh")
        click_and_wait_for_page(d, form.find_element(By.CSS_SELECTOR, "button"))
        assert "Назначено" in d.find_element(By.CSS_SELECTOR, ".card-head").text
        shot(d, "05-operator-assigned")
    finally:
        d.quit()


def test_executor_sees_only_own_agency_and_answers(platform, appeals):
    """The executor of the housing committee finds the assigned appeal in "мои обращения", does not see the road
    appeal (another agency's), takes it into work and answers with a template and the full check-list."""
    d = browser()
    try:
        sign_in(d, platform, "executor-zhkh")
        d.get(platform.http_url + "/ws?queue=mine")
        mine = rows(d)
        assert appeals["heating"]["number"] in mine
        d.get(platform.http_url + "/ws?queue=all")
        assert appeals["road"]["number"] not in rows(d)
        shot(d, "06-executor-queue")
        d.get(platform.http_url + "/ws/appeals/" + appeals["road"]["id"])
        assert d.find_element(By.CSS_SELECTOR, "h1").text == "Недостаточно прав"

        d.get(platform.http_url + "/ws/appeals/" + appeals["heating"]["id"])
        click_and_wait_for_page(d, d.find_element(By.XPATH, "//form[input[@name='action' and @value='start']]//button"))
        Select(d.find_element(By.CSS_SELECTOR, "select[data-template-target]")).select_by_index(1)
        text = d.find_element(By.ID, "answer_text")
        assert "рассмотрено" in text.get_attribute("value")     # the template filled the answer (JavaScript)
        text.send_keys("\nТеплоснабжение восстановлено 02.12.2026.")
        for box in d.find_elements(By.CSS_SELECTOR, ".answer-form input[name=check]"):
            box.click()
        shot(d, "07-executor-answer-form")
        click_and_wait_for_page(d, d.find_element(By.CSS_SELECTOR, ".answer-form button[type=submit]"))
        assert "Дан ответ" in d.find_element(By.CSS_SELECTOR, ".card-head").text
        assert "Отмечен как полный" in d.page_source
        shot(d, "08-executor-answered")
    finally:
        d.quit()


def test_citizen_sees_answer_and_rates_once(platform, appeals):
    """The citizen opens the status page by number and access code, sees "Дан ответ" and the answer, rates it;
    a second rating (from a second tab opened before the first) is refused."""
    d = browser(390, 844)    # a phone
    try:
        def open_status():
            d.get(platform.http_url + "/status")
            d.find_element(By.NAME, "number").send_keys(appeals["heating"]["number"])
            d.find_element(By.NAME, "token").send_keys(appeals["token"])
            d.find_element(By.CSS_SELECTOR, "form[action='/status'] button").click()
            wait(d).until(EC.presence_of_element_located((By.ID, "citizen-status")))

        open_status()
        assert d.find_element(By.ID, "citizen-status").text == "Дан ответ"
        assert "Теплоснабжение восстановлено" in d.page_source
        first = d.current_window_handle
        d.switch_to.new_window("tab")
        open_status()
        second = d.current_window_handle
        d.switch_to.window(first)
        d.find_element(By.CSS_SELECTOR, "input[name=satisfaction][value='5']").click()
        shot(d, "09-citizen-status-phone")
        d.find_element(By.CSS_SELECTOR, "form[action='/status/rate'] button").click()
        wait(d).until(EC.presence_of_element_located((By.ID, "citizen-rating")))
        assert "5 из 5" in d.find_element(By.ID, "citizen-rating").text
        assert not d.find_elements(By.CSS_SELECTOR, "form[action='/status/rate']")
        shot(d, "10-citizen-rated")

        d.switch_to.window(second)
        d.find_element(By.CSS_SELECTOR, "input[name=satisfaction][value='1']").click()
        d.find_element(By.CSS_SELECTOR, "form[action='/status/rate'] button").click()
        wait(d).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash.err")))
        assert "Оценка не принята" in d.find_element(By.CSS_SELECTOR, ".flash.err").text
        assert "5 из 5" in d.find_element(By.ID, "citizen-rating").text
        shot(d, "11-citizen-second-rating-refused")

        d.get(platform.http_url + "/public")
        assert "Открытые данные" in d.find_element(By.TAG_NAME, "h1").text
        assert "Иванов" not in d.page_source
        shot(d, "12-public-summary-phone")
    finally:
        d.quit()


def test_queue_updates_live_and_dashboard_reflects(platform, appeals):
    """With the triage queue open, a new appeal arrives: the queue shows it without a reload (server-sent
    events). The dashboard of the current month counts the answered appeal and re-reads itself in place when an
    appeal event arrives."""
    d = browser()
    try:
        sign_in(d, platform, "operator")
        d.get(platform.http_url + "/ws?queue=all&order=newest")
        wait(d).until(lambda drv: drv.execute_script("return document.body.getAttribute('data-live')") == "/ws/events")
        time.sleep(1.0)     # the event stream is open
        marker = d.execute_script("window.__notReloaded = true; return 1;")
        fresh, _ = submit(platform, "Во дворе дома по ул. Радищева, 5 не вывозят мусор уже неделю.", "Мусор", "e2e-" + uuid.uuid4().hex[:8])
        wait(d, 30).until(lambda drv: fresh["number"] in rows(drv))
        assert d.execute_script("return window.__notReloaded === true") and marker == 1
        assert d.find_element(By.ID, "live-note").is_displayed()
        shot(d, "13-operator-queue-live-update")

        d.set_window_size(390, 844)
        d.get(platform.http_url + "/ws?queue=all")
        shot(d, "14-operator-queue-phone")
        d.set_window_size(1366, 900)

        month = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=3))).strftime("%Y-%m")
        d.get(platform.http_url + "/?period=" + month)
        body = d.find_element(By.TAG_NAME, "body").text
        assert "Ответ" in body or "ответ" in body
        # The dashboard is live too: an appeal event makes it re-read its panels in place (no reload, no meta refresh).
        assert not d.find_elements(By.CSS_SELECTOR, "head > meta[http-equiv=refresh]")
        assert d.execute_script("return document.body.getAttribute('data-live')") == "/ws/events"
        time.sleep(1.0)     # the event stream is open
        d.execute_script("window.__dashboardNotReloaded = true;")
        submit(platform, "На улице Ленина, 12 не горят фонари.", "Фонари", "e2e-" + uuid.uuid4().hex[:8])
        wait(d, 30).until(lambda drv: drv.execute_script("return document.body.getAttribute('data-refreshed')"))
        assert d.execute_script("return window.__dashboardNotReloaded === true")
        assert "по событиям" in d.find_element(By.ID, "live-note").text
        shot(d, "15-dashboard")
    finally:
        d.quit()


def test_saved_filters_live_on_the_server(platform, appeals):
    """A filter saved from the queue is kept on the server: after a reload (and in a fresh browser) it is listed
    as a link that opens the same filter. A filter an older version kept in localStorage is moved to the server
    once, and localStorage is emptied."""
    name = "Телефон, новые " + uuid.uuid4().hex[:4]
    d = browser()
    try:
        sign_in(d, platform, "operator")
        d.get(platform.http_url + "/ws?queue=all&channel=phone&order=newest")
        if not d.find_element(By.CSS_SELECTOR, "details.filters").get_attribute("open"):   # open already when a filter is set
            d.find_element(By.CSS_SELECTOR, "details.filters > summary").click()
        d.find_element(By.CSS_SELECTOR, "#save-filter-form input[name=name]").send_keys(name)
        submit_form(d, "#save-filter-form")
        wait(d).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".flash.ok")))
        d.refresh()
        links = {a.text: a.get_attribute("href") for a in d.find_elements(By.CSS_SELECTOR, "#saved-filters a.saved-link")}
        assert links.get(name, "").endswith("/ws?queue=all&channel=phone&order=newest"), links
        shot(d, "16-operator-saved-filter")

        d.execute_script("localStorage.setItem('veche.savedFilters', JSON.stringify([{name: 'Из браузера', href: '/ws?queue=triage&overdue=1'}]))")
        d.get(platform.http_url + "/ws")
        wait(d, 30).until(lambda drv: "Из браузера" in [a.text for a in drv.find_elements(By.CSS_SELECTOR, "#saved-filters a.saved-link")])
        assert d.execute_script("return localStorage.getItem('veche.savedFilters')") is None
    finally:
        d.quit()
    fresh = browser()
    try:
        sign_in(fresh, platform, "operator")
        fresh.get(platform.http_url + "/ws/filters")
        assert name in fresh.find_element(By.ID, "my-filters").text
    finally:
        fresh.quit()
