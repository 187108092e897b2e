"""Every report and the index, opened in headless Chromium: no console error, every image loads, every link
resolves, Chinese renders in a CJK font, nothing is fetched from the network; a screenshot of each is kept under
``reports/test-artifacts/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from socialops.chapters import CHAPTERS
from tests.conftest import ROOT, require_component

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "reports" / "test-artifacts"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser
require_component(CHROMIUM.exists(), "no /usr/bin/chromium: run `make browser-deps` (Debian)")
require_component(shutil.which("fc-list") is not None, "fontconfig is absent: run `make browser-deps`")


@pytest.fixture(scope="module")
def browser():
    from playwright import sync_api  # a dev dependency: missing means a broken setup, not a skip
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def reports(chapter_run):
    """One English run of every chapter and one Chinese run of the first, as {label: run}."""
    runs = {f"{chapter}-en": chapter_run(chapter) for chapter in CHAPTERS}
    runs[f"{CHAPTERS[0]}-zh"] = chapter_run(CHAPTERS[0], lang="zh")
    return runs


class PageCheck:
    """Open one local HTML file and collect what went wrong in the browser."""

    def __init__(self, browser, path: Path):
        self.path = path
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed request {r.url}"))
        self.page.route("**/*", self._only_local)
        self.page.goto(path.as_uri(), wait_until="load")

    def _only_local(self, route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "about:", "blob:")):
            route.continue_()
        else:  # a report must stand alone: nothing from the network
            self.outside.append(url)
            route.abort()

    def broken_images(self) -> list[str]:
        return self.page.evaluate(
            "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
            ".map(i => (i.currentSrc || i.src).slice(0, 80))"
        )

    def broken_links(self) -> list[str]:
        broken = []
        for href in self.page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"):
            parts = urlsplit(href)
            if parts.scheme == "file":
                target = Path(unquote(parts.path))
                # as browsers do, a fragment names an id as written (nbconvert's are percent-encoded) or decoded
                if not target.exists() or parts.fragment and target == self.path and not self.page.evaluate(
                        "fs => fs.some(f => !!document.getElementById(f) || !!document.getElementsByName(f).length)",
                        [parts.fragment, unquote(parts.fragment)]):
                    broken.append(href)
            elif parts.scheme not in ("http", "https", "mailto"):
                broken.append(href)  # javascript:, data: and other schemes have no place in a report
        return broken

    def fonts_of(self, selector: str) -> list[str]:
        """The fonts Chromium actually used to draw the text of the first node matching `selector`."""
        cdp = self.page.context.new_cdp_session(self.page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        return [f["familyName"] for f in fonts]

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.page.close()


def _pages(reports) -> list[tuple[str, Path]]:
    pages = []
    for label, run in reports.items():
        pages.append((label, run.out_dir / f"{run.chapter}.html"))
        pages.append((f"{label}-index", run.out_dir / "index.html"))
    return pages


def test_every_report_and_index_opens_cleanly(browser, reports):
    problems = []
    for label, run in reports.items():
        assert run.exit_code == 0, f"{label}: {run.stderr[-2000:]}"
    for label, path in _pages(reports):
        check = PageCheck(browser, path)
        try:
            for kind, found in (("console", check.errors), ("network", check.outside),
                                ("image", check.broken_images()), ("link", check.broken_links())):
                problems += [f"{label}: {kind}: {item}" for item in found]
            shot = check.screenshot(label)
            assert shot.stat().st_size > 1000
        finally:
            check.close()
    assert not problems, "\n".join(problems)


def test_chinese_report_renders_in_a_cjk_font(browser, reports):
    run = reports[f"{CHAPTERS[0]}-zh"]
    for path in (run.out_dir / f"{run.chapter}.html", run.out_dir / "index.html"):
        check = PageCheck(browser, path)
        try:
            assert check.page.evaluate("document.documentElement.lang") == "zh-CN"
            title = check.page.inner_text("h1")
            assert any("\u4e00" <= ch <= "\u9fff" for ch in title), title
            fonts = check.fonts_of("h1")
            assert any("CJK" in name for name in fonts), f"{path.name}: Chinese drawn with {fonts}"
        finally:
            check.close()
