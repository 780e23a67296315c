"""The operations page used by a person, in headless Chromium (Selenium): a real worker (in process), the real API
process (`distflow api`), Tansu and Redis. An order naming an unknown SKU raises an unknown_sku exception; the page
lists it in customer-service's queue with its age, the test claims it, resolves it with a note, and the case reaches
RESOLVED in the worker's table and on the audit topic with the key's client id as operator. The availability lookup
and the backlog / sync-lag figures are shown. A screenshot is kept in var/test-artifacts/ops-page.png."""
from __future__ import annotations

import hashlib
import shutil
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from processors import workbench as w
from streams.devstack import Broker, RedisServer, free_port
from streams.workbench_view import read_exception_document
from tests.ids import unique
from tests.integration import events
from tests.integration.pipeline import pipeline, pipeline_settings, running_worker
from tests.integration.test_prometheus_scrape import process, service_env
from topics import catalog
from topics.partitioning import partition_for

pytestmark = pytest.mark.integration
KEY = "ops-page-operator-key-77c1"
OPERATOR = "key-" + hashlib.sha256(KEY.encode()).hexdigest()[:10]
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"


def eventually(check: Callable[[], Any], what: str, timeout_s: float = 45.0) -> Any:
    from selenium.common.exceptions import StaleElementReferenceException

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            found = check()
        except StaleElementReferenceException:  # the page re-rendered between finding and reading
            found = None
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def api_up(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError):
        return False


@pytest.fixture
def browser() -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="pip install -e .[dev] (selenium)")
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "chromium / chromedriver not found: run .ci/system-deps.sh"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1400,1300"):
        options.add_argument(argument)
    session = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver))
    try:
        yield session
    finally:
        session.quit()


def row_of(browser: Any, exception_id: str) -> Any:
    from selenium.webdriver.common.by import By

    rows = browser.find_elements(By.CSS_SELECTOR, f'tr[data-exception-id="{exception_id}"]')
    return rows[0] if rows else None


def test_an_operator_claims_and_resolves_an_exception_on_the_operations_page(
        broker: Broker, redis_server: RedisServer, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    api_port = free_port()
    settings = pipeline_settings(broker.bootstrap, redis_server.url, tmp_path / "state", api_port=api_port,
                                 api_host="127.0.0.1", log_format="json",
                                 api_keys=f"{KEY}=exceptions:read,exceptions:write,availability:read")
    order_id, ghost, stocked = unique("O-OPS"), unique("GHOST"), unique("SKU-OPS")
    client = redis.Redis.from_url(redis_server.url)
    with pipeline(settings) as p, running_worker(settings) as worker, \
            process("api", [sys.executable, "-m", "streams.cli", "api"], service_env(settings), tmp_path) as api:
        p.produce(catalog.ON_HAND_SNAPSHOTS, stocked, events.on_hand_snapshot(stocked, "EAST", 5))
        p.produce(catalog.ORDERS, order_id, events.order_placed(order_id, [events.order_line("L1", ghost, 1)]))
        p.flush()
        raised = p.read(catalog.EXCEPTIONS, until=lambda rs: any(r["subject_id"] == order_id for r in rs))
        exception_id = next(str(r["exception_id"]) for r in raised if r["subject_id"] == order_id)
        eventually(lambda: api_up(api_port) or api.poll() is not None, "the API to listen")
        assert api.poll() is None, (tmp_path / "api.log").read_text()[-3000:]

        browser.get(f"http://127.0.0.1:{api_port}/ops")
        browser.find_element(By.ID, "api-key").send_keys(KEY)
        browser.find_element(By.ID, "save-key").click()
        row = eventually(lambda: row_of(browser, exception_id), "the exception in the queue")
        queue = browser.find_element(By.CSS_SELECTOR, 'h3[data-owner="customer-service"]').text
        assert "customer-service" in queue and "oldest" in queue
        assert "unknown_sku" in row.text and order_id in row.text

        eventually(lambda: row_of(browser, exception_id).find_element(By.CSS_SELECTOR, "button.act-claim"),
                   "the claim button").click()
        eventually(lambda: (r := row_of(browser, exception_id)) is not None and
                   r.get_attribute("data-state") == "CLAIMED" and OPERATOR in r.text, "the claim on the page")

        note = eventually(lambda: row_of(browser, exception_id).find_element(By.CSS_SELECTOR, "input.note"),
                          "the note box")
        note.send_keys("SKU set up in the ERP; reservation asked again")
        browser.find_element(By.ID, "sku").send_keys(stocked)
        browser.find_element(By.ID, "lookup").click()
        eventually(lambda: '"available": 5' in browser.find_element(By.ID, "availability").text,
                   "the availability lookup")
        eventually(lambda: browser.find_elements(By.CSS_SELECTOR, "#sync-lag tr"), "the sync lag table")
        browser.execute_script("window.scrollTo(0, 0)")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        assert browser.save_screenshot(str(ARTIFACTS / "ops-page.png"))
        eventually(lambda: row_of(browser, exception_id).find_element(By.CSS_SELECTOR, "button.act-resolve"),
                   "the resolve button").click()

        eventually(lambda: row_of(browser, exception_id) is None, "the resolved case to leave the queue")
        status = browser.find_element(By.ID, "status").text
        assert "resolve sent" in status, status
        document = read_exception_document(client, settings.redis_key_prefix, exception_id)
        assert document is not None and document["state"] == "RESOLVED" and document["claimed_by"] == OPERATOR
        assert document["note"] == "SKU set up in the ERP; reservation asked again"
        stage = next(s for s in worker.engine.stages if s.name == "workbench")
        case = stage.table.get(partition_for(exception_id.encode(), settings.topic_partitions or 6),  # type: ignore[attr-defined]
                               exception_id.encode())
        assert case is not None and case.state is w.CaseState.RESOLVED
        audits = [a for a in p.read(catalog.EXCEPTION_AUDIT, until=lambda rs: sum(
            r["exception_id"] == exception_id for r in rs) >= 3) if a["exception_id"] == exception_id]
        assert [(a["action"], a["operator"], a["outcome"]) for a in audits] == [
            ("raise", "distflow", "APPLIED"), ("claim", OPERATOR, "APPLIED"), ("resolve", OPERATOR, "APPLIED")]
    client.close()
    assert (ARTIFACTS / "ops-page.png").stat().st_size > 10_000
