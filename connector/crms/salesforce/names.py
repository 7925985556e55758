"""The names of what setup deploys into an org (Metadata API developer names, labels).

Fixed, so that a rerun of setup finds and updates the same components instead of making
new ones; the labels people read come from the mapping where it names them.
"""

from __future__ import annotations

WRITER_PERMISSION_SET = "CRM_KPI_Writer"
"""The integration user's: the object rights and field edits the writer needs, no more."""
READER_PERMISSION_SET = "CRM_KPI_Reader"
"""Readers': Read on the KPI object, its fields and the User/Account KPI fields; the tab."""
REPORT_FOLDER = "CRM_KPI_Reports"
DASHBOARD_FOLDER = "CRM_KPI_Dashboards"
REPORT = "Sales_KPIs_by_Period"
"""The report's developer name (in REPORT_FOLDER); its label is `push.report_name`."""
DASHBOARD = "Sales_KPIs_Dashboard"
"""The dashboard's developer name (in DASHBOARD_FOLDER); its title `push.dashboard_name`."""
CARD = "salesKpiCard"
"""The Lightning Web Component bundle of the KPI card."""
LIST_VIEW = "My_KPIs"
SHARING_RULE = "CRM_KPI_Shared_Scopes"
"""The criteria sharing rule of company, team and territory rows (`push.share_company`)."""
PAGES = {
    "home": "CRM_KPI_Home",
    "user": "CRM_KPI_User_Record",
    "account": "CRM_KPI_Account_Record",
    "opportunity": "CRM_KPI_Opportunity_Record",
}
"""The Lightning page setup deploys for each `push.pages` entry (never activated)."""
PAGE_OBJECTS = {"user": "User", "account": "Account", "opportunity": "Opportunity"}
