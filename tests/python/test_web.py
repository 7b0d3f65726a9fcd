"""The page in a real browser: Debian's chromium, driven by Playwright for Python, against the real
`tip-atlas serve` on a loopback port, speaking gRPC-Web to it like any visitor's browser.

Every run writes a screenshot of each view at desktop and phone width under
target/web-screenshots/, and the time from navigation to the map painted with data to
target/web-screenshots/timings.txt (printed too; the tests assert behaviour, not timings).
TIP_ATLAS_WEB_URL runs the tests against a page already served elsewhere (for developing it).
"""

import json
import os
from pathlib import Path
from types import SimpleNamespace

import grpc
import pytest

from conftest import REPO, served

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE = REPO / "web/node_modules/axe-core/axe.min.js"
SCREENSHOTS = REPO / "target/web-screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# Each view's URL and the data-ready mark <main> carries once it shows its data.
VIEWS = {
    "map": ("#/map?year=2018", "map:2018"),
    "year": ("#/years/2023", "year:2023"),
    "country": ("#/countries/MLI/reports/2023", "country:MLI:2023"),
    "search": ("#/search?q=hereditary+slavery", "search:hereditary slavery"),
}
PATTERN_OF_TIER = {"TIER_2": "p-t2", "TIER_2_WATCH_LIST": "p-t2wl", "TIER_3": "p-t3",
                   "TIER_SPECIAL_CASE": "p-sc", "NO_DATA": "p-none"}
TIER_1_FILL = "rgb(43, 122, 111)"  # Tier 1 is solid: --fill of .tier-t1 in web/src/style.css


def fill_of(tier: str) -> str:
    """The computed fill of a shape of this tier: a colour for Tier 1, else its pattern."""
    return TIER_1_FILL if tier == "TIER_1" else f'url("#{PATTERN_OF_TIER[tier]}")'


def _require(what: str, install: str):
    if os.environ.get("TIP_ATLAS_REQUIRE_TOOLS"):
        pytest.fail(f"{what} is missing ({install}; tests/run does it)")
    pytest.skip(f"{what} is missing ({install})")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A `tip-atlas serve` of its own, on a fresh store of the bundled data: the page's URL, and
    the gRPC address (None for a page served elsewhere, TIP_ATLAS_WEB_URL)."""
    if os.environ.get("TIP_ATLAS_WEB_URL"):
        yield SimpleNamespace(url=os.environ["TIP_ATLAS_WEB_URL"].rstrip("/") + "/", address=None)
        return
    with served(tmp_path_factory.mktemp("web")) as server:
        yield SimpleNamespace(url=f"http://{server.address}/", address=server.address)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require("Playwright for Python", "pip install playwright")
    if not CHROMIUM.exists():
        _require("chromium", "apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Page:
    """A fresh browser tab (empty cache) that records the page's RPCs and uncaught errors."""

    def __init__(self, browser, site, viewport, injects_scripts=False):
        self.site = site.url
        # The server's Content-Security-Policy refuses inline scripts, such as the axe-core that
        # a test injects: only that test's tab bypasses it. Every other tab records what the
        # policy refuses of the page itself as an error.
        self.context = browser.new_context(viewport=viewport, bypass_csp=injects_scripts)
        self.tab = self.context.new_page()
        self.rpcs: list[str] = []
        self.errors: list[str] = []
        self.tab.on("request", lambda r: "/tip.v1." in r.url and self.rpcs.append(r.url.rsplit("/", 1)[-1]))
        self.tab.on("pageerror", lambda e: self.errors.append(str(e)))
        self.tab.on("console", lambda m: m.type == "error" and self.errors.append(m.text))

    def open(self, fragment: str, ready: str):
        self.tab.goto(self.site + fragment)
        self.wait(ready)

    def wait(self, ready: str):
        self.tab.wait_for_selector(f"main[data-ready={json.dumps(ready)}]", timeout=15_000)

    def after(self, action, ready: str):
        """Does `action` and waits for the view it leads to: for a view whose ready mark stays the
        same (a search's next page), the old mark is cleared first, so it cannot be taken for it."""
        self.tab.evaluate("document.getElementById('main').removeAttribute('data-ready')")
        action()
        self.wait(ready)

    def shapes(self) -> dict:
        """Each map shape's ISO3 code -> its data-tier and its path's computed fill."""
        return self.tab.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#map a[data-iso3]')]
            .map(a => [a.dataset.iso3, {tier: a.dataset.tier, fill: getComputedStyle(a.querySelector('path')).fill}]))""")


@pytest.fixture
def page(browser, site):
    page = Page(browser, site, DESKTOP)
    yield page
    page.context.close()
    assert not page.errors, f"uncaught errors in the page: {page.errors}"


@pytest.fixture(scope="module", autouse=True)
def fresh_timings():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "timings.txt").write_text("")


def _record(line: str):
    with open(SCREENSHOTS / "timings.txt", "a") as out:
        out.write(line + "\n")
    print(line)


def test_the_map_fills_every_ranked_country_with_its_tier_and_follows_the_year(page, capsys):
    page.open("#/map?year=2018", "map:2018")
    painted_ms = page.tab.evaluate("performance.getEntriesByName('ready map:2018')[0].startTime")
    with capsys.disabled():
        _record(f"time to interactive (navigation to the 2018 map painted with data): {painted_ms:.0f} ms")

    shapes = page.shapes()
    with_tier = {code: s for code, s in shapes.items() if s["tier"] != "NO_DATA"}
    assert len(with_tier) >= 180, f"only {len(with_tier)} of {len(shapes)} shapes have a tier in 2018"
    for code, shape in shapes.items():
        assert shape["fill"] == fill_of(shape["tier"]), f"{code} ({shape['tier']}) is filled with {shape['fill']}"
    assert shapes["MLI"]["tier"] == "TIER_2_WATCH_LIST"

    # Hover or focus tells name, tier and change; the keyboard reaches every shape.
    page.tab.focus('#map a[data-iso3="MLI"]')
    tooltip = page.tab.locator(".tooltip")
    assert tooltip.is_visible()
    assert "Mali" in tooltip.inner_text() and "Tier 2 Watch List" in tooltip.inner_text()
    assert "Tier 2 Watch List" in page.tab.get_attribute('#map a[data-iso3="MLI"]', "aria-label")

    # Five steps of the slider by keyboard: 2023, Mali repainted as Tier 2, the URL follows.
    page.tab.focus("#year")
    for _ in range(5):
        page.tab.keyboard.press("ArrowRight")
    page.wait("map:2023")
    assert page.shapes()["MLI"]["tier"] == "TIER_2"
    assert page.shapes()["MLI"]["fill"] == fill_of("TIER_2")
    assert page.tab.evaluate("location.hash") == "#/map?year=2023"

    # The step links add a history entry; the slider still repaints after them.
    page.tab.click('.year-control a[aria-label="Previous year: 2022"]')
    page.wait("map:2022")
    assert page.shapes()["MLI"]["tier"] == "TIER_2_WATCH_LIST"
    page.tab.focus("#year")
    page.tab.keyboard.press("ArrowRight")
    page.wait("map:2023")
    assert page.shapes()["MLI"]["tier"] == "TIER_2"

    # The same data as a list, for keyboards and screen readers.
    page.tab.click(".country-list summary")
    row = page.tab.locator('.country-list tr[data-iso3="MLI"]')
    assert "Tier 2" in row.inner_text() and "upgraded from Tier 2 Watch List (2022)" in row.inner_text()


def test_malis_page_shows_its_narrative_recommendations_and_upgrade_in_five_rpcs(page, capsys):
    page.open("#/countries/MLI", "country:MLI")
    assert len(page.rpcs) <= 5, f"the country page took {len(page.rpcs)} RPCs: {page.rpcs}"
    with capsys.disabled():
        _record(f"RPCs for a country page (Mali, fresh tab): {len(page.rpcs)}: {', '.join(sorted(page.rpcs))}")

    narrative = page.tab.locator('article.narrative[data-report="2023"]')
    assert "The 2023 narrative" in narrative.inner_text()
    assert "hereditary slavery" in narrative.inner_text()
    assert page.tab.locator('ol[data-report-recommendations="2023"] > li').count() == 9
    assert page.tab.locator("ol[data-recurring] > li").count() == 9
    assert page.tab.get_attribute('.timeline li[data-year="2023"]', "data-tier") == "TIER_2"
    assert page.tab.get_attribute('.timeline li[data-year="2022"]', "data-tier") == "TIER_2_WATCH_LIST"
    upgrade = page.tab.locator('.changes li[data-year="2023"]')
    assert upgrade.is_visible() and "upgraded from Tier 2 Watch List (2022)" in upgrade.inner_text()

    # A report's URL opens its narrative and takes the focus there, for keyboards and screen readers.
    page.tab.click('.report-years a[href="#/countries/MLI/reports/2023"]')
    page.wait("country:MLI:2023")
    assert page.tab.evaluate("document.activeElement.closest('article')?.dataset.report") == "2023"


def test_search_highlights_the_phrase_and_filters(page):
    page.open("#/search", "search:")
    page.tab.fill("#search-q", '"hereditary slavery"')
    page.tab.keyboard.press("Enter")
    page.wait('search:"hereditary slavery"')
    hit = page.tab.locator('.results li[data-report="countries/MLI/reports/2023"]')
    assert "Mali, 2023" in hit.locator("h2").inner_text()
    marked = [m.inner_text() for m in hit.locator("mark").all()]
    assert marked and all(word.lower() in ("hereditary", "slavery", "hereditary slavery") for word in marked), marked
    assert "hereditary" in " ".join(marked).lower() and "slavery" in " ".join(marked).lower()

    page.tab.select_option("#search-year", "2022")
    page.after(lambda: page.tab.click("form[role=search] button[type=submit]"), 'search:"hereditary slavery"')
    assert page.tab.evaluate("location.hash").endswith("year=2022")
    assert page.tab.locator('.results li[data-report="countries/MLI/reports/2023"]').count() == 0
    assert all(r.endswith("/2022") for r in page.tab.eval_on_selector_all(".results li", "lis => lis.map(li => li.dataset.report)"))


def test_back_and_forward_move_between_views(page):
    page.open("#/map?year=2018", "map:2018")
    page.tab.click('#map a[data-iso3="MLI"]')
    page.wait("country:MLI")
    page.tab.click('header nav a[data-view="search"]')
    page.wait("search:")
    page.tab.go_back()
    page.wait("country:MLI")
    assert page.tab.evaluate("location.hash") == "#/countries/MLI"
    page.tab.go_back()
    page.wait("map:2018")
    assert page.shapes()["MLI"]["tier"] == "TIER_2_WATCH_LIST"
    page.tab.go_forward()
    page.wait("country:MLI")
    page.tab.go_forward()
    page.wait("search:")


@pytest.mark.parametrize("view", VIEWS)
def test_no_serious_accessibility_violations_and_screenshots(browser, site, view, capsys):
    if not AXE.is_file():
        _require("axe-core", "cd web && npm ci")
    fragment, ready = VIEWS[view]
    for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = Page(browser, site, viewport, injects_scripts=True)
        try:
            page.open(fragment, ready)
            page.tab.screenshot(path=str(SCREENSHOTS / f"{view}-{width}.png"), full_page=True)
            page.tab.add_script_tag(path=str(AXE))
            violations = page.tab.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
                .violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))""")
            with capsys.disabled():
                counts = {impact: sum(v["impact"] == impact for v in violations) for impact in ("critical", "serious", "moderate", "minor")}
                _record(f"axe-core {view} ({width}): {json.dumps(counts)} {[v['id'] for v in violations]}")
            serious = [v for v in violations if v["impact"] in ("serious", "critical")]
            assert not serious, f"{view} at {width} width: {json.dumps(serious, indent=1)}"
            # Usable at phone width: nothing, not even an opened list or table, widens the page.
            page.tab.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            overflow = page.tab.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{view} at {width} width scrolls sideways by {overflow}px"
            assert not page.errors, page.errors
        finally:
            page.context.close()


# Last: these two add narratives to the module's server, whose views above show the bundled data.
def test_two_narratives_are_compared_on_request(page, site, pb):
    if site.address is None:
        pytest.skip("a page served elsewhere (TIP_ATLAS_WEB_URL): no store to ingest narratives into")
    # Two narratives of one country from the Mali seed: the earlier one has a recommendation the
    # later drops, and lacks one the later adds.
    seed = (REPO / "seeds/mali-2023.txt").read_text(encoding="utf-8")
    later = seed.replace("MALI (Tier 2)", "NIGER (Tier 2)").replace("Mali", "Niger")
    last = [line for line in later.splitlines() if line.startswith("Empower the anti-trafficking")][0]
    earlier = later.replace("2023 TIP Report", "2022 TIP Report").replace(last, "Establish a national hotline for trafficking victims and publicize it in local languages.")
    with grpc.insecure_channel(site.address) as channel:
        ingest = pb.ingest_grpc.IngestServiceStub(channel)
        for text in (earlier, later):
            reply = ingest.IngestDocument(pb.ingest.IngestDocumentRequest(content=text.encode(), country="NER"), timeout=30)
            assert [n.report for n in reply.narratives] in (["countries/NER/reports/2022"], ["countries/NER/reports/2023"]), reply

    page.open("#/countries/NER", "country:NER")
    loaded = len(page.rpcs)
    assert loaded <= 5, page.rpcs
    page.tab.select_option("#compare-base", "2022")
    page.tab.select_option("#compare-target", "2023")
    page.tab.click("form.compare button")
    page.tab.wait_for_selector(".compare-grid")
    count = lambda kind: page.tab.locator(f'.compare-grid [data-kind="{kind}"] li').count()  # noqa: E731
    assert (count("kept"), count("added"), count("dropped")) == (8, 1, 1)
    assert "Empower the anti-trafficking" in page.tab.locator('.compare-grid [data-kind="added"]').inner_text()
    assert "national hotline" in page.tab.locator('.compare-grid [data-kind="dropped"]').inner_text()
    assert page.rpcs[loaded:] == ["CompareReports"], "comparing asks one RPC, on request"


@pytest.fixture(scope="module")
def shared_narratives(site, pb):
    """The real narratives of ../shared/data/narratives, ingested into the module's server, each
    with its report year from its file name: the reports stored."""
    if site.address is None:
        pytest.skip("a page served elsewhere (TIP_ATLAS_WEB_URL): no store to ingest narratives into")
    stored = set()
    with grpc.insecure_channel(site.address) as channel:
        ingest = pb.ingest_grpc.IngestServiceStub(channel)
        for path in sorted((REPO.parent / "shared/data/narratives").glob("*.txt")):
            year = int(path.name.split("_")[1])
            request = pb.ingest.IngestDocumentRequest(content=path.read_bytes(), year=year)
            try:
                stored.update(n.report for n in ingest.IngestDocument(request, timeout=30).narratives)
            except grpc.RpcError as refused:  # a document whose header and name disagree on the year
                assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT, (path.name, refused)
    assert len(stored) > 20, stored
    return stored


def test_search_pages_through_more_results_than_a_page_holds(page, shared_narratives):
    page.open("#/search?q=trafficking", "search:trafficking")
    reports = lambda: page.tab.eval_on_selector_all(".results li", "lis => lis.map(li => li.dataset.report)")  # noqa: E731
    first = reports()
    assert len(first) == 20, first
    page.after(lambda: page.tab.click("text=Next page »"), "search:trafficking")
    second = reports()
    assert second and not set(second) & set(first), (first, second)
    assert "page=" in page.tab.evaluate("location.hash")
    total = int(page.tab.locator(".results [role=status]").inner_text().split()[0].replace(",", ""))
    assert len(first) + len(second) == min(total, 40)
    page.after(lambda: page.tab.click("text=« First page"), "search:trafficking")
    assert reports() == first
    page.after(page.tab.go_back, "search:trafficking")
    assert reports() == second
    assert not page.errors, page.errors


def test_enforcement_figures_show_the_sentences_they_were_read_from(page, shared_narratives):
    assert "countries/MLI/reports/2018" in shared_narratives
    page.open("#/countries/MLI", "country:MLI")
    page.tab.click(".evidence summary")
    figures = page.tab.locator('.evidence dt[data-year="2018"]')
    assert figures.count() >= 2, page.tab.locator(".evidence").inner_text()
    stems = {"Investigations": "investigat", "Prosecutions": "prosecut", "Convictions": "convict",
             "Victims identified": "victim"}
    for i in range(figures.count()):
        said = figures.nth(i).inner_text()  # "2018 · Investigations: 17"
        measure = said.split(" · ")[1].split(":")[0]
        sentence = figures.nth(i).locator("xpath=following-sibling::dd[1]//q").inner_text()
        assert stems[measure] in sentence.lower(), (said, sentence)
    assert "paragraph" in page.tab.locator(".evidence dd").first.inner_text()
    assert not page.errors, page.errors
