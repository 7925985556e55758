"""Calls, emails, meetings and tasks (the org's activities) and NPS feedback submissions.

One core table of activities splits into HubSpot's engagement objects by kind and
subtype; the split is a partition, so every activity is served exactly once.
Property names follow developers.hubspot.com/docs/api/crm/{calls,email,meetings,tasks}.
"""

from __future__ import annotations

from .model import ObjectType
from .props import Prop
from .standard import common, enum, owner

SUB = "coalesce(t.subtype, '')"
ENGAGEMENTS: dict[str, tuple[str, str, str, str]] = {
    # name: (type id, singular, row filter, title property)
    "calls": ("0-48", "Call", f"{SUB} = 'Call'", "hs_call_title"),
    "emails": ("0-49", "Email", f"{SUB} IN ('Email', 'ListEmail')", "hs_email_subject"),
    "meetings": ("0-47", "Meeting",
                 f"t.kind = 'event' AND {SUB} NOT IN ('Call', 'Email', 'ListEmail')",
                 "hs_meeting_title"),
    "tasks": ("0-27", "Task", f"t.kind = 'task' AND {SUB} NOT IN ('Call', 'Email', 'ListEmail')",
              "hs_task_subject"),
}
CREATE = {"calls": ("task", "Call"), "emails": ("task", "Email"),
          "meetings": ("event", "Meeting"), "tasks": ("task", "Task")}
BASES = {"calls": 60 * 10**9, "emails": 70 * 10**9, "meetings": 80 * 10**9,
         "tasks": 90 * 10**9, "feedback_submissions": 95 * 10**9}


def engagement(name: str) -> ObjectType:
    type_id, singular, row_filter, title = ENGAGEMENTS[name]
    kind, subtype = CREATE[name]
    o = ObjectType(name, type_id, singular, f"{singular}s", "activities", BASES[name],
                   "crm.objects.contacts", "crm.schemas.contacts",
                   groups={"engagement": "Engagement information"},
                   default_props=("createdate", "hs_lastmodifieddate", "hs_object_id"),
                   row_filter=row_filter, query_props=(title,),
                   create_defaults={"kind": kind, "subtype": subtype, "status": "Completed",
                                    "who_kind": None, "what_kind": None})
    common(o)
    o.add(Prop("hs_timestamp", "Activity date", "datetime", "date", "t.occurred_at",
               column="occurred_at", meta={"kind": "activity_time"}))
    o.add(owner())
    o.add(Prop(title, "Title", sql="t.subject", column="subject"))
    if name == "meetings":
        o.add(Prop("hs_meeting_start_time", "Start Time", "datetime", "date", "t.occurred_at",
                   read_only=True))
        o.add(Prop("hs_meeting_end_time", "End Time", "datetime", "date",
                   "t.occurred_at + INTERVAL 1 HOUR", read_only=True))
        o.add(enum("hs_activity_type", "Activity type", "t.subtype",
                   ("Meeting", "Trade Show", "Other"), column="subtype"))
    if name == "tasks":
        # HubSpot's own hs_task_type values; its plain to-do task is literally "TODO".
        o.add(enum("hs_task_type", "Task type", f"CASE WHEN {SUB} = 'LinkedIn' THEN 'LINKED_IN' "
                   "ELSE 'TODO' END", ("TODO", "LINKED_IN", "CALL", "EMAIL"), read_only=True))
        o.add(enum("hs_task_status", "Task status", "CASE WHEN t.status = 'Completed' THEN "
                   "'COMPLETED' ELSE 'NOT_STARTED' END", ("NOT_STARTED", "COMPLETED"),
                   read_only=True))
    if name == "calls":
        o.add(enum("hs_call_status", "Call status", "'COMPLETED'", ("COMPLETED",),
                   read_only=True))
    if name == "emails":
        o.add(enum("hs_email_direction", "Email direction", "'EMAIL'",
                   ("EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL"), read_only=True))
    return o


def feedback_submissions() -> ObjectType:
    """NPS answers, read-only like HubSpot's feedback submissions object."""
    o = ObjectType("feedback_submissions", "0-19", "Feedback submission",
                   "Feedback submissions", "surveys", BASES["feedback_submissions"],
                   "crm.objects.feedback_submissions", "crm.schemas.feedback_submissions",
                   groups={"feedback_submission_information": "Feedback submission"},
                   default_props=("createdate", "hs_lastmodifieddate", "hs_object_id",
                                  "hs_response_value", "hs_submission_timestamp",
                                  "hs_survey_type"),
                   writable=False)
    common(o)
    o.add(enum("hs_survey_type", "Survey type", "'NPS'", ("NPS", "CSAT", "CES", "CUSTOM")))
    o.add(Prop("hs_survey_name", "Survey name", sql="'Customer NPS'"))
    o.add(Prop("hs_response_value", "Response value", "number", "number",
               "t.score::INTEGER"))
    o.add(enum("hs_sentiment", "Sentiment", "CASE WHEN t.score >= 9 THEN 'Promoter' "
               "WHEN t.score >= 7 THEN 'Passive' WHEN t.score IS NOT NULL THEN 'Detractor' END",
               ("Promoter", "Passive", "Detractor")))
    o.add(Prop("hs_submission_timestamp", "Submitted at", "datetime", "date",
               "t.responded_at"))
    for p in o.props.values():
        p.read_only = True
    return o


def all_engagements() -> list[ObjectType]:
    return [engagement(name) for name in ENGAGEMENTS]
