"""What the browser tests share: Debian's Chromium under Playwright, the app served by uvicorn on loopback with
scored listings, and the checks every page gets (axe-core, no sideways scroll). Importing it skips the importing
test module, with the reason, where Chromium or Playwright is missing (fails instead under
``SOI_REQUIRE_BROWSER_TESTS=1``, as in CI)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from serving.app import create_app
from serving.settings import get_settings
from tests.conftest import TINY_ITEMS
from tests.serving.conftest import Keys, make_keys
from training.train import TrainResult

CHROMIUM = Path(os.environ.get("SOI_CHROMIUM", "/usr/bin/chromium"))
REPORTS = Path(__file__).resolve().parents[2] / "reports"
SCREENSHOTS = REPORTS / "screenshots"
AXE_RULES = [
    "label",
    "color-contrast",
    "button-name",
    "html-has-lang",
    "image-alt",
    "link-name",
    "select-name",
    "document-title",
    "landmark-one-main",
    "page-has-heading-one",
    "aria-valid-attr-value",
    "list",
]
SIZES = {"1366x768": (1366, 768), "390x844": (390, 844)}

REQUIRE_VARIABLE = "SOI_REQUIRE_BROWSER_TESTS"  # set by .ci/run: there a missing browser fails, not skips


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_VARIABLE}=1 says the browser tests must run", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


try:
    from playwright import sync_api
except ImportError:
    _unavailable("playwright is not installed (make install installs it)")
if not CHROMIUM.exists():
    _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveSite:
    """The app served by uvicorn on loopback, its keys, and its listings' ids in queue order."""

    base_url: str
    keys: Keys
    queue_ids: list[int]


@pytest.fixture(scope="module")
def live_site(trained: TrainResult, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """uvicorn in a thread on a free port, a temp SQLite database, the tiny model, scored listings."""
    db_path = tmp_path_factory.mktemp("browser-db") / "soi.db"
    settings = get_settings(model_path=str(trained.model_dir.parent), database_url=f"sqlite:///{db_path}")
    app = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    base_url = f"http://127.0.0.1:{port}"
    keys = make_keys(app.state.db)
    listings = [
        {
            "id": f"b-{i}",
            "platform": ("shopee", "facebook", "zalo")[i % 3],
            "title": title,
            "description": "Hàng có sẵn, giao toàn quốc. <script>alert(1)</script>",
            "price": 1_500_000 + i * 1000,
            "url": f"https://shop.example/{i}",
        }
        for i, (title, _labels) in enumerate(TINY_ITEMS)
    ]
    with httpx.Client(base_url=base_url, timeout=30) as client:
        scored = client.post("/v1/score/batch", json={"listings": listings}, headers=keys.header("crawler"))
        assert scored.status_code == 200, scored.text
        queue = client.get("/v1/queue", params={"limit": 100}, headers=keys.header("reviewer")).json()["items"]
    try:
        yield LiveSite(base_url=base_url, keys=keys, queue_ids=[item["listing_id"] for item in queue])
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(live_site: LiveSite) -> Iterator[object]:
    """Chromium, headless."""
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--lang=vi-VN"])
        yield launched
        launched.close()


def check_accessibility(page: object, where: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "rule", "values": AXE_RULES}})
    assert results.violations_count == 0, f"{where}: {results.generate_report()}"


def no_horizontal_scroll(page: object) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def history_count(page: object) -> int:
    return page.locator("[data-history] > li").count()
