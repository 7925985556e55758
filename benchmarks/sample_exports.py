"""Regenerate the demo's sample exports in connector/demo/data/exports:
`python benchmarks/sample_exports.py` from the repository root.

They come from the benchmark's synthetic generator at a small size, with the
opportunity file shaped like a Salesforce report export (its own column names and
Lead Source picklist values, mapped by mappings/files.yaml) and a few bad rows that
the files source must quarantine rather than load.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synthetic import Size, generate_exports

EXPORTS = Path(__file__).resolve().parent.parent / "connector" / "demo" / "data" / "exports"
OPPORTUNITY_HEADERS = {
    "id": "Opportunity ID", "account_id": "Account ID", "owner_id": "Opportunity Owner ID",
    "created_at": "Created Date", "close_date": "Close Date", "is_closed": "Closed",
    "is_won": "Won", "amount": "Amount", "currency": "Opportunity Currency",
    "cost": "Cost of Sale", "contact_method": "Lead Source", "lead_id": "Lead ID",
    "territory": "Territory", "type": "Type",
}  # fmt: skip
LEAD_SOURCES = {
    "phone": "Cold Call", "email": "Email", "in_person": "Meeting", "event": "Trade Show",
    "web": "Web", "referral": "Partner Referral", "social": "Social Media", "other": "Other",
}  # fmt: skip


def _rewrite_opportunities(path: Path) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["contact_method"] = LEAD_SOURCES[row["contact_method"]]
    rows[10]["close_date"] = "31/02/2025"
    rows[11]["amount"] = "abc"
    rows[12].update(is_won="true", is_closed="true", close_date="")
    rows[13]["contact_method"] = "Carrier Pigeon"
    rows.append({**rows[0], "type": "Test Account"})
    rows[-1]["id"] = "O-TEST-1"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=list(OPPORTUNITY_HEADERS.values()), lineterminator="\n"
        )
        writer.writeheader()
        for row in rows:
            writer.writerow({OPPORTUNITY_HEADERS[k]: v for k, v in row.items()})


def _add_bad_survey(path: Path) -> None:
    with path.open("a", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerow(
            ["S-BAD-1", "A1", "", "11", "2026-03-02T10:00:00Z"]
        )


def main() -> None:
    """Write the sample exports."""
    folder = EXPORTS
    size = Size(owners=24, teams=5, accounts=600, leads=8000, opportunities=2500,
                activities=30000, end=dt.date(2026, 9, 30))  # fmt: skip
    counts = generate_exports(folder, size)
    _rewrite_opportunities(folder / "opportunities.csv")
    _add_bad_survey(folder / "survey_responses.csv")
    print(counts)


if __name__ == "__main__":
    main()
