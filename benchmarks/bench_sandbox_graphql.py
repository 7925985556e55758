"""Benchmark the sandbox's UI API GraphQL endpoint as a KPI card reads it.

Starts an in-process sandbox, then through plain requests (as the LWC wire adapter
posts): a card page (200 opportunities with their owner and account, filtered, ordered,
with totalCount) as the admin and as a rep (sharing applied), and every opportunity
paged 2,000 at a time with upperBound. Prints calls, records, wall time per request and
the process's peak memory.

    .venv/bin/python benchmarks/bench_sandbox_graphql.py [--scale 1] [--repeat 20]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from typing import Any

import requests

from crm_sandbox import Sandbox

CARD = """query card($after: String, $first: Int, $upper: Int) { uiapi { query {
  Opportunity(first: $first, after: $after, upperBound: $upper, where: {Amount: {gt: 0}},
              orderBy: {CloseDate: {order: DESC}}) {
    edges { node { Id Name { value } Amount { value displayValue }
                   CloseDate { value displayValue } StageName { value displayValue }
                   Owner { Name { value } } Account { Name { value } } } }
    pageInfo { hasNextPage endCursor } totalCount } } } }"""


def post(http: requests.Session, url: str, token: str, variables: dict[str, Any]
         ) -> dict[str, Any]:
    resp = http.post(url, json={"query": CARD, "variables": variables},
                     headers={"Authorization": f"Bearer {token}"})
    resp.raise_for_status()
    body: dict[str, Any] = resp.json()
    if body["errors"]:
        raise SystemExit(f"GraphQL errors: {body['errors']}")
    conn: dict[str, Any] = body["data"]["uiapi"]["query"]["Opportunity"]
    return conn


def card_pages(http: requests.Session, url: str, token: str, repeat: int) -> tuple[float, int]:
    """(median seconds, records) of one 200-record card page."""
    times, records = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        records = len(post(http, url, token, {"first": 200})["edges"])
        times.append(time.perf_counter() - start)
    return statistics.median(times), records


def page_all(http: requests.Session, url: str, token: str) -> tuple[float, int, int]:
    """(seconds, calls, records) reading every opportunity 2,000 at a time."""
    start, after, calls, records = time.perf_counter(), None, 0, 0
    while True:
        conn = post(http, url, token, {"first": 2000, "after": after, "upper": 10**9})
        calls, records = calls + 1, records + len(conn["edges"])
        if not conn["pageInfo"]["hasNextPage"]:
            return time.perf_counter() - start, calls, records
        after = conn["pageInfo"]["endCursor"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    with Sandbox(seed=7, scale=args.scale) as sb:
        print(f"org generated and serving: {time.perf_counter() - started:.1f} s")
        info = sb.info["salesforce"]
        url = f"{info['instance_url']}/services/data/v60.0/graphql"
        rep = next(u for u in info["users"] if u["profile"] == "Standard User")
        http = requests.Session()
        http.verify, http.trust_env = sb.info["ca_file"], False
        for who, token in (("admin", info["access_token"]), ("rep", rep["access_token"])):
            median, records = card_pages(http, url, token, args.repeat)
            print(f"card page as {who}: {args.repeat} calls, {records} records, "
                  f"median {median * 1000:.0f} ms")
        seconds, calls, records = page_all(http, url, info["access_token"])
        print(f"every opportunity, 2,000 a page: {calls} calls, {records} records, "
              f"{seconds:.2f} s, {records / seconds:,.0f} records/s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (this process, sandbox included): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
