"""Who gets setup's permission sets, through `PermissionSetAssignment` (REST).

The integration user always gets the writer's set: the user setup connects as, or
`push.integration_user` when an admin runs setup for the user `crm-kpi run` connects as.
Readers get the readers' set as the mapping says (`push.readers`: `all_active`, every
active internal user, or a list of profile names, role names and user e-mails or
usernames). Assignments are read first and only the missing ones are created (sObject
Collections, 200 a call); nothing anyone assigned is ever removed. Names from the
mapping never reach SOQL: the org's active internal users are read whole and matched
here."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from connector.crms.push import Where
from connector.crms.salesforce.client import SalesforceClient
from connector.crms.salesforce.mapping import PushMapping
from connector.crms.salesforce.names import READER_PERMISSION_SET, WRITER_PERMISSION_SET
from connector.crms.salesforce.paging import query_pages
from connector.crms.salesforce.soql import check_record_id
from connector.errors import FatalError

COLLECTION_SIZE = 200
USERS_SOQL = ("SELECT Id, Username, Email, Profile.Name, UserRole.Name FROM User "
              "WHERE IsActive = true AND UserType = 'Standard'")  # fmt: skip


@dataclass(frozen=True)
class Person:
    """An active internal user, and the names a reader entry may match."""

    id: str
    username: str
    email: str
    profile: str
    role: str

    def named_by(self, entry: str) -> bool:
        """Whether a `push.readers` entry names this user (case does not matter)."""
        wanted = entry.casefold()
        return wanted in {n.casefold() for n in (self.username, self.email, self.profile,
                                                 self.role) if n}  # fmt: skip


def _name(record: dict[str, Any], relation: str) -> str:
    related = record.get(relation)
    return str(related.get("Name") or "") if isinstance(related, dict) else ""


def active_users(client: SalesforceClient) -> list[Person]:
    """Every active internal user (licensed users, not portal, Chatter-only or guests)."""
    return [
        Person(str(r["Id"]), str(r.get("Username") or ""), str(r.get("Email") or ""),
               _name(r, "Profile"), _name(r, "UserRole"))
        for page in query_pages(client, USERS_SOQL) for r in page
    ]  # fmt: skip


def reader_ids(push: PushMapping, people: list[Person]) -> list[str]:
    """The users `push.readers` names."""
    if push.readers == "all_active":
        return [p.id for p in people]
    return [p.id for p in people if any(p.named_by(e) for e in push.readers)]


def writer_id(client: SalesforceClient, push: PushMapping, people: list[Person]) -> str | None:
    """The user who gets the writer's set: `push.integration_user` when the mapping names
    one (None when it names no active internal user), else the user the token names."""
    wanted = push.integration_user
    if wanted is None:
        _ = client.client  # logs in: the token names the user
        return client.user_id
    found = [p.id for p in people if wanted.casefold() in (p.id.casefold(),
                                                           p.username.casefold())]  # fmt: skip
    if not found and len(wanted) == 15:  # a 15-character Id names the same user
        found = [p.id for p in people if p.id[:15] == wanted]
    return found[0] if found else None


def integration_user_problems(
    client: SalesforceClient, push: PushMapping, people: list[Person], where: Where
) -> list[str]:  # fmt: skip
    """`push.integration_user` must name an active internal user."""
    if push.integration_user is None or writer_id(client, push, people) is not None:
        return []
    return [f"{where(('push', 'integration_user'))}: no active internal Salesforce user "
            f"{push.integration_user}: name the user crm-kpi run connects as (a username "
            "or a User Id), or leave it out when setup connects as that user"]  # fmt: skip


def reader_problems(push: PushMapping, people: list[Person], where: Where) -> list[str]:
    """Entries of `push.readers` that name nobody: no profile, role or user of an active
    internal user (a typo would leave people without their KPIs, silently)."""
    if push.readers == "all_active":
        return []
    known = sorted({n for p in people for n in (p.profile, p.role) if n})
    problems = []
    for index, entry in enumerate(push.readers):
        if any(p.named_by(entry) for p in people):
            continue
        close = difflib.get_close_matches(entry, known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        problems.append(f"{where(('push', 'readers', index))}: {entry!r} names no profile, "
                        f"role, e-mail or username of an active internal user{hint}")  # fmt: skip
    return problems


def permission_sets(client: SalesforceClient) -> dict[str, str]:
    """Name → Id of setup's permission sets that exist in the org."""
    names = ", ".join(f"'{n}'" for n in (WRITER_PERMISSION_SET, READER_PERMISSION_SET))
    soql = f"SELECT Id, Name FROM PermissionSet WHERE Name IN ({names})"
    return {str(r["Name"]): str(r["Id"]) for page in query_pages(client, soql) for r in page}


def assigned(client: SalesforceClient, permission_set_id: str) -> set[str]:
    """The users who have a permission set, whoever gave it to them."""
    soql = ("SELECT AssigneeId FROM PermissionSetAssignment WHERE PermissionSetId = "
            f"'{check_record_id(permission_set_id)}'")  # fmt: skip
    return {str(r["AssigneeId"]) for page in query_pages(client, soql) for r in page}


def assign(
    client: SalesforceClient, permission_set: str, permission_set_id: str, users: list[str]
) -> tuple[int, list[str]]:
    """Give the permission set to those of `users` who lack it: (how many got it, why
    each refused one was refused)."""
    missing = sorted(set(users) - assigned(client, permission_set_id))
    given, refused = 0, []
    for start in range(0, len(missing), COLLECTION_SIZE):
        chunk = missing[start : start + COLLECTION_SIZE]
        records = [{"attributes": {"type": "PermissionSetAssignment"}, "AssigneeId": user,
                    "PermissionSetId": permission_set_id} for user in chunk]  # fmt: skip
        body = {"allOrNone": False, "records": records}
        results = client.restful("composite/sobjects", "POST", body) or []
        for user, result in zip(chunk, results, strict=True):
            if result.get("success"):
                given += 1
            else:
                errors = result.get("errors") or [{}]
                reason = f"{errors[0].get('statusCode')}: {errors[0].get('message')}"
                refused.append(f"could not give {permission_set} to user {user}: {reason}")
    return given, refused


def grant(client: SalesforceClient, push: PushMapping, people: list[Person]) -> list[str]:
    """Assign the writer's set to the integration user and the readers' set to the
    readers; what was done (and each assignment Salesforce refused)."""
    found = permission_sets(client)
    missing = [n for n in (WRITER_PERMISSION_SET, READER_PERMISSION_SET) if n not in found]
    if missing:
        raise FatalError(f"the deploy succeeded but Salesforce lists no permission set "
                         f"{', '.join(missing)}: run setup again")  # fmt: skip
    writer = writer_id(client, push, people)
    if writer is None:
        raise FatalError("Salesforce's token named no user: setup cannot tell which user "
                         "the integration user is")  # fmt: skip
    actions: list[str] = []
    plan = ((WRITER_PERMISSION_SET, [writer]),
            (READER_PERMISSION_SET, reader_ids(push, people)))  # fmt: skip
    for name, users in plan:
        given, refused = assign(client, name, found[name], users)
        who = (f"{given:,} readers" if name == READER_PERMISSION_SET else
               f"the integration user {push.integration_user}" if push.integration_user
               else "the integration user")  # fmt: skip
        if given:
            actions.append(f"assigned permission set {name} to {who}")
        actions += refused
    return actions
