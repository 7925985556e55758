"""Value findings from a real Salesforce pull (simple-salesforce against the sandbox)."""

from __future__ import annotations

import datetime as dt

from sf_helpers import make_source

from connector.store import Store
from crm_sandbox import Sandbox


def test_a_negative_won_amount_from_salesforce_is_a_finding(
    sandbox: Sandbox, store: Store
) -> None:
    org = sandbox.org
    [deal] = org.keys("opportunities", limit=1)
    org.update("opportunities", deal, {"amount": -5_000_000.0, "is_won": True,
                                       "is_closed": True, "stage": "Closed Won",
                                       "close_date": dt.date(2025, 3, 1)})  # fmt: skip
    make_source(sandbox).pull(store)
    found = store.fetch("SELECT field, value, problem FROM findings WHERE field = 'amount'")
    assert found == [("amount", "-5000000.0", "won deal with a negative amount: counted as "
                      "is, lowering revenue (and gross margin can pass 100 %)")]  # fmt: skip
    assert store.scalar("SELECT amount FROM opportunities WHERE id = ?",
                        [store.scalar("SELECT record_id FROM findings WHERE field = 'amount'")]
                        ) == -5_000_000.0  # fmt: skip
