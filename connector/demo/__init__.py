"""`crm-kpi demo`: the nightly job end to end, on the sample exports shipped in
`demo/data/` (`exports.py`) or against two sandbox CRMs (`crms.py`). `sandbox.py` is
the one module of the connector that imports the CRM sandbox package."""
