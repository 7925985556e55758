"""OpportunityStage: the org's opportunity stages with their metadata (IsClosed, IsWon,
DefaultProbability, ForecastCategoryName), served read-only over a configuration table.

Fields follow the object reference's OpportunityStage (ApiName, MasterLabel, IsActive,
IsClosed, IsWon, DefaultProbability, ForecastCategory, ForecastCategoryName, SortOrder,
Description). A deactivated stage stays a row with IsActive false, as in a real org:
the generator's legacy stage is one, held by a few closed deals and no longer in
StageName's picklist.
"""

from __future__ import annotations

from ..org import Org
from ..org.tables import COMMON, LEGACY_STAGE, LOST_STAGE, OPEN_STAGES, WON_STAGE
from .model import SField, SObject
from .objects import obj, ro, s, typed

STAGES_TABLE = "sf_opportunity_stages"
# (label, active, closed, won, probability, forecast category)
STAGE_ROWS = (
    *((name, True, False, False, p, "Pipeline") for name, p in OPEN_STAGES),
    (WON_STAGE, True, True, True, 100, "Closed"),
    (LOST_STAGE, True, True, False, 0, "Omitted"),
    (LEGACY_STAGE, False, True, False, 0, "Omitted"),
)


def create_stage_table(org: Org) -> None:
    """The org's opportunity stages (Salesforce configuration, not data)."""
    start = org.window.start - (org.window.end - org.window.start)
    with org.writing() as con:
        if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                       [STAGES_TABLE]).fetchone() != (0,):
            return  # a second surface over the same org
        con.execute(f"CREATE TABLE {STAGES_TABLE} (n BIGINT, label VARCHAR, active BOOLEAN, "
                    "closed BOOLEAN, won BOOLEAN, probability DOUBLE, forecast VARCHAR, "
                    f"{COMMON})")
        con.executemany(
            f"INSERT INTO {STAGES_TABLE} (n, label, active, closed, won, probability, "
            "forecast, created_at, modified_at, system_modstamp) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(n, *row, start, start, start) for n, row in enumerate(STAGE_ROWS, 1)],
        )


def stage_object() -> SObject:
    """OpportunityStage over the stages table."""
    return obj("OpportunityStage", STAGES_TABLE, "Opportunity Stage", [
        ro(s("ApiName", "label", 255, label="Api Name")),
        ro(s("MasterLabel", "label", 255, label="Master Label")),
        ro(typed("IsActive", "boolean", "active", label="Active", nillable=False)),
        ro(typed("IsClosed", "boolean", "closed", label="Closed", nillable=False)),
        ro(typed("IsWon", "boolean", "won", label="Won", nillable=False)),
        ro(typed("DefaultProbability", "percent", "probability", label="Probability (%)",
                 precision=3, scale=0)),
        ro(SField("ForecastCategory", "picklist", "Forecast Type", column="forecast",
                  picklist=("Omitted", "Pipeline", "BestCase", "Forecast", "Closed"),
                  length=40)),
        ro(s("ForecastCategoryName", "forecast", 40, label="Forecast Category")),
        ro(SField("SortOrder", "int", "Sort Order", sql="{t}.n", precision=9, scale=0)),
        ro(s("Description", "label", 255, sql="NULL")),
    ], writable=False)
