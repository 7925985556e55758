"""The demo org's dashboard opened in headless Chromium: every chart draws, filters work.

Chromium is driven through its command line (`--dump-dom` for the DOM after the page's
script ran, `--screenshot` for the picture managers see): no WebDriver needed. The
screenshots are kept in tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import io
import json
import re
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console
from running_org import running_page

from connector.dashboard import render_html
from connector.demo.exports import run_demo

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--mute-audio",
)  # fmt: skip
CHARTS = (
    "revenue", "growth", "funnel", "closing", "cycle", "methods",
    "clvcac", "retention", "nps", "heatmap",
)  # fmt: skip
HEAT_COLUMNS = 14

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]


@dataclass(frozen=True)
class Chart:
    """What one chart container holds after the page's script ran."""

    state: str | None
    has_svg: bool
    drawn: int
    failed: bool
    text: str


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's dashboard (the demo writes it as its last step)."""
    workdir = tmp_path_factory.mktemp("demo") / "demo"
    assert run_demo(workdir, Console(file=io.StringIO(), width=100)) == 0
    return workdir / "kpis.html"


VIEWS = {
    "default": "",
    "team": "#team=Team%201&period=2026-Q3",
    "month": "#period=2026-09",
    "empty": "#period=2023-08",
    "year": "#type=year&team=Team%202",
}
# Window sizes that show the whole page: all 24 reps of the demo org, or one team's 5.
SHOTS = {
    "dashboard.png": ("", (1400, 3000)),
    "dashboard-team-1.png": (VIEWS["team"], (1400, 2400)),
}


@pytest.fixture(scope="module")
def broken(page: Path) -> Path:
    """The demo page with a payload the monthly revenue chart cannot draw."""
    text = page.read_text(encoding="utf-8")
    data = re.search(r'<script type="application/json" id="kpi-data">(.*?)</script>', text, re.S)
    assert data is not None
    payload = json.loads(data.group(1))
    payload["spans"] = {}  # the monthly revenue chart cannot place the quarter
    path = page.with_name("broken.html")
    path.write_text(render_html(payload), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def paced(page: Path) -> Path:
    """The demo page with a pace for the selected quarter (a period in progress)."""
    text = page.read_text(encoding="utf-8")
    data = re.search(r'<script type="application/json" id="kpi-data">(.*?)</script>', text, re.S)
    assert data is not None
    payload = json.loads(data.group(1))
    i = payload["periods"]["quarter"].index(payload["defaults"]["period"])
    payload["series"]["company"]["total_revenue"]["quarter"]["p"][i] = 1.12
    payload["series"]["company"]["closing_ratio"]["quarter"]["p"][i] = 0.8
    path = page.with_name("paced.html")
    path.write_text(render_html(payload), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def running(page: Path) -> Path:
    """6 December: a month in progress, monthly quotas for reps only, an integration user
    and reps who left, one CLV : CAC of 800:1 (tests/dashboard/running_org.py)."""
    return running_page(page.with_name("running.html"))


@pytest.fixture(scope="module")
def doms(
    page: Path,
    broken: Path,
    paced: Path,
    running: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, str]:
    """Every view's DOM after the page's script ran, and the screenshots: one Chromium
    per view, all at once (each start costs about a second)."""
    folder = tmp_path_factory.mktemp("chromium")
    ARTIFACTS.mkdir(exist_ok=True)
    jobs = {name: (page.as_uri() + hash_, ["--dump-dom"]) for name, hash_ in VIEWS.items()}
    jobs["broken"] = (broken.as_uri(), ["--dump-dom"])
    jobs["paced"] = (paced.as_uri(), ["--dump-dom"])
    jobs["running"] = (running.as_uri(), ["--dump-dom"])
    jobs["running-quarter"] = (running.as_uri() + "#period=2026-Q4", ["--dump-dom"])
    for name, (hash_, (width, height)) in SHOTS.items():
        (ARTIFACTS / name).unlink(missing_ok=True)
        window = f"--window-size={width},{height}"
        jobs[name] = (page.as_uri() + hash_, [f"--screenshot={ARTIFACTS / name}", window])
    running = {name: _start(folder / name, url, extra) for name, (url, extra) in jobs.items()}
    for name, process in running.items():
        assert process.wait(timeout=90) == 0, (folder / f"{name}.err").read_text()[-3000:]
    return {name: (folder / f"{name}.out").read_text(encoding="utf-8") for name in jobs}


def _start(base: Path, url: str, extra: list[str]) -> subprocess.Popen[bytes]:
    with open(f"{base}.out", "wb") as out, open(f"{base}.err", "wb") as err:
        return subprocess.Popen(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={base}.profile", *extra, url],
            stdout=out,
            stderr=err,
        )


def charts_of(dom: str) -> dict[str, Chart]:
    charts = {}
    for chunk in dom.split("<figure")[1:]:
        head, body = chunk.split(">", 1)
        body = body.split("</figure>", 1)[0]
        name = re.search(r'data-chart="(\w+)"', head)
        state = re.search(r'data-state="(\w+)"', head)
        assert name is not None
        charts[name.group(1)] = Chart(
            state=state.group(1) if state else None,
            has_svg="<svg" in body,
            drawn=len(re.findall(r"<(?:rect|line|path|circle|text)\b", body)),
            failed='class="render-error"' in body,
            text=re.sub(r"<[^>]+>", " ", body),
        )
    return charts


def body_attrs(dom: str) -> dict[str, str]:
    tag = re.search(r"<body([^>]*)>", dom)
    assert tag is not None
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag.group(1)))


def test_every_chart_renders_for_the_default_period(page: Path, doms: dict[str, str]) -> None:
    assert page.stat().st_size < 400_000
    dom = doms["default"]
    assert body_attrs(dom)["data-ready"] == "1"
    assert body_attrs(dom)["data-period"] == "2026-Q3"
    charts = charts_of(dom)
    assert tuple(charts) == CHARTS
    for name, chart in charts.items():
        assert chart.state == "ok", name
        assert chart.has_svg, name
        assert not chart.failed, name
        assert chart.drawn > 12, (name, chart.drawn)
    assert len(re.findall(r">Rep \d+ · Team \d<", dom)) == 24
    assert dom.count('class="cell"') == 24 * HEAT_COLUMNS
    assert dom.count('class="tile ') == 12
    # The basis a KPI was computed on is shown with it (the demo keeps churn's default), in
    # a rep's words: never a config key
    assert re.search(r'data-kpi="churn_rate".*?class="basis">Counted over the customers', dom)
    assert "Counted over the opportunities created in the period" in charts["closing"].text
    assert not re.search(r"\w+_basis|min_days|min_share", re.sub(r"<script.*?</script>", "", dom,
                                                               flags=re.S))
    # when the figures were computed, in the org's time zone
    assert re.search(r"KPIs as of \d+ \w{3} \d{4}, \d\d:\d\d \(America/New_York\)", dom)
    assert "USD" in charts["revenue"].text
    assert "%" in charts["closing"].text
    assert re.search(r"[0-9.]+:1", charts["clvcac"].text)
    assert "+100" in charts["nps"].text
    assert 'class="render-error"' not in dom


def test_the_url_hash_filters_team_and_period(doms: dict[str, str]) -> None:
    dom = doms["team"]
    attrs = body_attrs(dom)
    assert (attrs["data-team"], attrs["data-period"], attrs["data-period-type"]) == (
        "Team 1",
        "2026-Q3",
        "quarter",
    )
    assert "Team 1 · Q3 2026" in dom
    charts = charts_of(dom)
    assert all(c.state == "ok" and not c.failed for c in charts.values())
    assert dom.count('class="cell"') == 5 * HEAT_COLUMNS
    reps = re.findall(r">(Rep \d+)<", dom)
    assert sorted(reps) == sorted(f"Rep {n}" for n in (1, 6, 11, 16, 21))
    assert "Team 1" in charts["revenue"].text


def test_a_month_switches_the_trends_to_months(doms: dict[str, str]) -> None:
    assert body_attrs(doms["month"])["data-period-type"] == "month"
    charts = charts_of(doms["month"])
    assert all(c.state == "ok" for c in charts.values())
    assert "Sep ’26" in charts["growth"].text


def test_a_period_type_alone_keeps_the_default_moment_in_view(doms: dict[str, str]) -> None:
    attrs = body_attrs(doms["year"])
    assert (attrs["data-period-type"], attrs["data-period"], attrs["data-team"]) == (
        "year",
        "2026",
        "Team 2",
    )
    charts = charts_of(doms["year"])
    # The running year is drawn up to its last month with results.
    assert charts["revenue"].state == "ok"
    assert re.search(r"12 months to \w{3} 2026", charts["revenue"].text)
    # The demo config has no yearly targets, so no rep has an attainment to colour.
    assert charts["heatmap"].state == "empty"
    assert "No rep has a target" in charts["heatmap"].text
    assert all(c.state == "ok" for name, c in charts.items() if name != "heatmap")


def test_a_period_without_data_says_so_instead_of_failing(doms: dict[str, str]) -> None:
    charts = charts_of(doms["empty"])
    states = {name: chart.state for name, chart in charts.items()}
    assert "error" not in states.values()
    assert states["closing"] == states["nps"] == "empty"
    assert "No data for Company" in charts["closing"].text
    assert all(c.has_svg for c in charts.values())


def test_a_chart_that_fails_says_so_and_the_others_still_draw(doms: dict[str, str]) -> None:
    charts = charts_of(doms["broken"])
    assert charts["revenue"].state == "error"
    assert charts["revenue"].failed
    assert "could not be drawn" in charts["revenue"].text
    assert all(c.state == "ok" for name, c in charts.items() if name != "revenue")


@pytest.mark.parametrize("name", SHOTS)
def test_screenshot_is_kept_as_an_artifact(doms: dict[str, str], name: str) -> None:
    data = (ARTIFACTS / name).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == SHOTS[name][1]
    assert len(data) > 50_000


def tile(dom: str, kpi: str) -> str:
    found = re.search(rf'data-kpi="{kpi}"(.*?)</div></div>', dom, re.S)
    assert found is not None, kpi
    return found.group(1)


def test_a_period_in_progress_shows_its_pace_beside_attainment(doms: dict[str, str]) -> None:
    dom = doms["paced"]
    assert '<div class="pace good">pace 112 % · on track' in tile(dom, "total_revenue")
    assert '<div class="pace bad">pace 80 % · behind' in tile(dom, "closing_ratio")
    assert "pace" not in tile(dom, "nps")


def test_the_period_in_progress_opens_on_the_month_reps_have_quotas_for(
    doms: dict[str, str],
) -> None:
    dom = doms["running"]
    attrs = body_attrs(dom)
    assert (attrs["data-period-type"], attrs["data-period"]) == ("month", "2026-12")
    assert "Company · Dec 2026 (all teams) · in progress, day 6 of 31: figures so far" in dom
    assert "KPIs as of 6 Dec 2026, 07:13 (America/Los_Angeles)" in dom
    assert "the nightly runs since did not finish" in dom  # the stale warning is shown
    charts = charts_of(dom)
    assert all(c.state == "ok" and not c.failed for c in charts.values()), charts
    # the month in progress is a bar of its days so far, and the revenue chart says so
    assert "Dec 2026 so far (day 6 of 31)" in charts["revenue"].text
    # active reps with data only: not the integration user, not the reps who left
    rows = re.findall(r">(Kira Lee|Ravi Shah|Integration User|Old Rep|Quiet Rep)(?: · West)?<",
                      dom)  # fmt: skip
    assert rows == ["Kira Lee", "Ravi Shah"]
    assert dom.count('class="cell"') == 2 * HEAT_COLUMNS


def test_pace_and_growth_of_the_period_in_progress_say_what_they_are(
    doms: dict[str, str],
) -> None:
    dom = doms["running"]
    revenue = tile(dom, "total_revenue")
    assert 'class="pace' not in revenue  # too early for a pace: the note says from when
    assert "Pace from day 8 of the month (today is day 6)." in revenue
    assert ("So far: the first 6 days of this month against the same days of the month "
            "before.") in tile(dom, "sales_growth")
    assert "Compared with the period before." in tile(dom, "sales_growth")


def test_axes_keep_the_target_in_view_and_cut_an_outlier(doms: dict[str, str]) -> None:
    clv = charts_of(doms["running"])["clvcac"]
    assert clv.state == "ok"
    assert "800.0:1" in clv.text  # written on the bar that runs off the axis
    assert "axis cut" in clv.text
    section = doms["running"].split('data-chart="clvcac"', 1)[1].split("</figure>", 1)[0]
    assert 'data-clipped="1"' in section
    axis = "".join(re.findall(r'<g class="axis">(.*?)</g>', section, re.S))
    ticks = [float(t) for t in re.findall(r">(\d+(?:\.\d+)?):1<", axis)]
    assert max(ticks) <= 40  # the 3:1 target is not flattened by the 800:1 period
    # a chart without an outlier is not cut
    assert "axis cut" not in charts_of(doms["running"])["revenue"].text


def test_a_quarter_without_targets_says_why_its_heat_map_is_empty(doms: dict[str, str]) -> None:
    heat = charts_of(doms["running-quarter"])["heatmap"]
    assert heat.state == "empty"
    assert "No rep has a target for this quarter" in heat.text
