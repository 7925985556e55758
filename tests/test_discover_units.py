"""The shared pieces of `validate` and `discover`: the one matcher, the value checks, the
salvage of a file with problems, the contact method guesses and field proposals, and
the proposal's comments."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from connector.config import Config
from connector.crms.proposal import (
    OrgField,
    correct_items,
    fill_value_map,
    guess_method,
    note,
    propose_field,
    round_trip,
    stale_keys,
    static_problems,
)
from connector.crms.salesforce.mapping import SalesforceMapping
from connector.crms.salesforce.picklists import soql_string
from connector.crms.valuemaps import (
    did_you_mean,
    exclusion_problems,
    key_problems,
    nearest,
    suggestion,
)
from connector.salvage import Unsalvageable, located, salvaged

LEAD_SOURCES = ["Web", "Phone Inquiry", "Partner Referral", "Trade Show", "Email", "Other"]


def at(key: str) -> str:
    return f"m.yaml:3 k.{key}"


def test_the_matcher_is_case_blind_and_says_did_you_mean() -> None:
    assert nearest("opportunty", ["Opportunity", "Account"]) == ["Opportunity"]
    assert did_you_mean("Opportunty", ["Opportunity"], quoted=False) == "did you mean Opportunity?"
    assert did_you_mean("Test Acount", ["Test Account"]) == "did you mean 'Test Account'?"
    assert suggestion("zzz", ["Opportunity"]) == ""


def test_a_key_far_from_every_value_is_a_problem_with_the_nearest_values() -> None:
    problems = key_problems(at, ["Web", "Conference"], LEAD_SOURCES, "Lead.LeadSource")
    assert len(problems) == 1
    assert problems[0].startswith("m.yaml:3 k.Conference: 'Conference' is not a value of "
                                  "Lead.LeadSource and no record holds it")  # fmt: skip
    assert "the nearest: " in problems[0]


def test_a_misspelled_key_names_the_value_left_unmapped() -> None:
    problems = key_problems(at, ["Trade Shw"], LEAD_SOURCES, "Lead.LeadSource")
    assert "did you mean 'Trade Show'? (no key maps 'Trade Show'" in problems[0]


def test_keys_records_hold_and_keys_in_any_case_are_no_problem() -> None:
    keys = ["web", " EMAIL ", "Webinar (legacy)"]
    assert key_problems(at, keys, LEAD_SOURCES, "Lead.LeadSource", held=["webinar (LEGACY)"]) == []


def test_an_exclusion_matching_nothing_is_a_problem() -> None:
    problems = exclusion_problems(at, ["Test Acount", "Customer"], ["Customer", "Test Account"],
                                  "Account.Type")  # fmt: skip
    assert problems == [
        "m.yaml:3 k.Test Acount: 'Test Acount' is not a value of Account.Type and no record "
        "holds it, so it selects nothing; did you mean 'Test Account'? (the values: "
        "Customer, Test Account)"
    ]


def test_an_exclusion_in_another_case_is_a_problem_as_it_selects_nothing() -> None:
    problems = exclusion_problems(at, ["closed lost", " Closed Won "],
                                  ["Closed Won", "Closed Lost"], "Opportunity.StageName",
                                  held=["Closed Lost"])  # fmt: skip
    assert problems == [
        "m.yaml:3 k.closed lost: 'closed lost' selects nothing: records are selected by the "
        "value as Opportunity.StageName writes it, case included; did you mean 'Closed Lost'?"
    ]


def test_a_text_exclusion_records_hold_only_in_another_case_is_a_problem() -> None:
    # `held`: the values as records spell them (read back: the CRM's = ignores case)
    problems = exclusion_problems(at, ["na east", "NA West"], [], "Account.Territory__c",
                                  held=["NA East", "NA West"])  # fmt: skip
    assert problems == [
        "m.yaml:3 k.na east: 'na east' selects nothing: records are selected by the value as "
        "Account.Territory__c writes it, case included; did you mean 'NA East'?"
    ]


def test_a_text_exclusion_some_records_spell_as_written_is_no_problem() -> None:
    held = ["NA East", " na east "]  # both spellings are on records: 'na east' selects some
    assert exclusion_problems(at, ["na east"], [], "Account.Territory__c", held=held) == []


@pytest.mark.parametrize(
    ("value", "method"),
    [("Trade Show", "event"), ("Webinar (legacy)", "event"), ("Phone Inquiry", "phone"),
     ("ListEmail", "email"), ("LINKED_IN", "social"), ("Partner Referral", "referral"),
     ("ORGANIC_SEARCH", "web"), ("In Person", "in_person"), ("Direct Mail", "other"),
     ("EMAIL_MARKETING", "email"), ("Other", "other")],
)  # fmt: skip
def test_contact_methods_are_guessed_from_the_words_with_the_reason(
    value: str, method: str
) -> None:
    guessed, why = guess_method(value)
    assert (guessed, why.startswith("guessed from")) == (method, True)


def test_a_value_whose_words_name_no_method_is_other_to_review() -> None:
    assert guess_method("Cadence") == ("other", "review: nothing in 'Cadence' names a contact "
                                                "method")  # fmt: skip


FIELDS = [
    OrgField("Name", "Name", "text"),
    OrgField("Sales_Region__c", "Sales Region", "text", custom=True),
    OrgField("Margin_Cost__c", "Cost of the deal", "number", custom=True),
    OrgField("Account__c", "Account", "reference", custom=True, references=("Account",)),
    OrgField("Likelihood_To_Recommend__c", "NPS", "number", custom=True),
]


def test_fields_are_proposed_from_names_and_types() -> None:
    assert propose_field("territory", FIELDS)[0].name == "Sales_Region__c"  # type: ignore[index]
    assert propose_field("cost", FIELDS)[0].name == "Margin_Cost__c"  # type: ignore[index]
    assert propose_field("account_id", FIELDS)[0].name == "Account__c"  # type: ignore[index]
    assert propose_field("score", FIELDS)[0].name == "Likelihood_To_Recommend__c"  # type: ignore[index]
    assert propose_field("territory", FIELDS, taken=["sales_region__c"]) is None
    assert propose_field("team", FIELDS) is None
    typo = propose_field("name", FIELDS, was="Nmae")
    assert typo is not None
    assert typo[0].name == "Name"


def test_value_maps_are_filled_and_stale_keys_left_out_with_comments() -> None:
    yaml = round_trip()
    doc = yaml.load("m:\n  Web: web   # the site\n  Conference: event\n"
                    "x:\n  Type: [Custmer, Nothing]\n")  # fmt: skip
    assert fill_value_map(doc["m"], ["Web", "Trade Show", "Cadence"], methods=True) == (1, 1)
    said = stale_keys(doc["m"], ["Web", "Trade Show", "Cadence"], set(), "value_maps.m", "F")
    assert said == ["value_maps.m.Conference left out: no value of F nor any record is "
                    "'Conference'"]  # fmt: skip
    said = correct_items(doc["x"], "Type", ["Customer"], set(), "Account exclude.Type")
    assert len(said) == 2
    out = io.StringIO()
    yaml.dump(doc, out)
    assert re.sub(r" +#", " #", out.getvalue()) == (  # ruamel places new comments itself
        "m:\n  Web: web # the site\n"
        '  Trade Show: event # guessed from "trade show"\n'
        "  Cadence: other # review: nothing in 'Cadence' names a contact method\n"
        "x:\n  Type: [Customer] # was 'Custmer', which no value nor record is: the nearest\n"
    )


def test_a_note_keeps_the_comment_and_the_blank_line_after_it() -> None:
    yaml = round_trip()
    doc = yaml.load("a:\n  x: 1       # mine\n\n  y: 2\n")
    note(doc["a"], "x", "was 0")
    out = io.StringIO()
    yaml.dump(doc, out)
    assert out.getvalue() == "a:\n  x: 1  # mine; was 0\n\n  y: 2\n"


def test_a_proposal_is_checked_like_a_mapping() -> None:
    bad = "streams:\n  - {entity: owners, object: User, fields: {colour: Color__c}}\n"
    assert static_problems(bad, SalesforceMapping, "p.yaml") == [
        "p.yaml:2 streams[0].fields.colour: colour is not a field of owners "
        "(active, email, name, team, territory)"
    ]


def test_salvage_leaves_out_the_keys_with_problems_and_only_them(tmp_path: Path) -> None:
    data = {
        "reporting": {"currency": "USD", "timezone": "UTC"},
        "sources": [{"name": "a", "type": "files", "path": str(tmp_path)},
                    {"name": "b", "type": "files", "path": str(tmp_path / "none")},
                    {"name": "c", "type": "files", "path": str(tmp_path), "mapping": "x.yaml"}],
        "targets": [{"kpi": "closing_ratio", "period_type": "quarter", "value": 30},
                    {"kpi": "total_revenue", "period_type": "month", "value": 5}],
        "kpis": {"churn_basis": "bogus"},
    }  # fmt: skip
    context = {"base_dir": tmp_path}
    config = salvaged(data, lambda d: Config.model_validate(d, context=context), _locations,
                      drop_items=True)  # fmt: skip
    assert [s.name for s in config.sources] == ["a"]  # c's mapping is not replaced by the default
    assert [t.kpi for t in config.targets] == ["total_revenue"]
    assert config.kpis.churn_basis == "start"
    assert data["kpis"] == {"churn_basis": "bogus"}  # the caller's data is left alone
    with pytest.raises(Unsalvageable):  # a list item that must stay (a mapping's stream)
        salvaged(data, lambda d: Config.model_validate(d, context=context), _locations,
                 drop_items=False)  # fmt: skip


def test_union_tags_are_no_keys_of_the_data() -> None:
    data = {"auth": {"method": "jwt", "key": 1}}
    assert located(data, ("auth", "jwt", "key")) == ("auth", "key")
    assert located(data, ("auth", "missing")) == ("auth", "missing")


def _locations(exc: Exception) -> list[tuple[str | int, ...]] | None:
    if not isinstance(exc, ValidationError):
        return None
    return [tuple(error["loc"]) for error in exc.errors()]


def test_soql_string_literals_are_escaped() -> None:
    assert soql_string("O'Brien \\ co\n") == "'O\\'Brien \\\\ co\\n'"


def test_two_problems_of_one_aliased_key_leave_out_that_key_only() -> None:
    from pydantic import BaseModel, field_validator

    class Methods(BaseModel):
        values: dict[str, str]

        @field_validator("values")
        @classmethod
        def _methods(cls, values: dict[str, str]) -> dict[str, str]:
            bad = [k for k, v in values.items() if v == "e-mail"]
            if bad:
                raise ValueError(f"not a method: {bad}")
            return values

    class Doc(BaseModel):
        a: Methods
        b: Methods

    shared = {"Web": "web", "Email": "e-mail"}
    data = {"a": {"values": shared}, "b": {"values": shared}}

    def attempt(d: object) -> Doc:
        try:
            return Doc.model_validate(d)
        except ValidationError as exc:  # place the problem at the key, as loads do
            raise ValidationError.from_exception_data("Doc", [
                {"type": "value_error", "loc": (e["loc"][0], "values", "Email"), "input": None,
                 "ctx": {"error": "x"}} for e in exc.errors()]) from None

    doc = salvaged(data, attempt, _locations, drop_items=False)
    assert doc.a.values == doc.b.values == {"Web": "web"}


def test_record_type_filters_are_checked_against_the_record_types(tmp_path: Path) -> None:
    from typing import Any, cast

    from connector.crms.config import MappingLines
    from connector.crms.salesforce.client import SalesforceClient
    from connector.crms.salesforce.mapping import load_mapping
    from connector.crms.salesforce.picklists import record_types, value_problems

    path = tmp_path / "salesforce.yaml"
    path.write_text(
        "streams:\n"
        "  - entity: opportunities\n"
        "    object: Opportunity\n"
        "    fields: {created_at: CreatedDate, is_closed: IsClosed, is_won: IsWon}\n"
        "    include:\n"
        "      RecordType.DeveloperName: [Sales, Renwal]\n"
    )
    described: dict[str, Any] = {"name": "Opportunity", "fields": [], "recordTypeInfos": [
        {"developerName": "Master", "name": "Master", "master": True},
        {"developerName": "Sales", "name": "Sales", "master": False},
        {"developerName": "Renewal", "name": "Renewal", "master": False},
    ]}  # fmt: skip
    assert record_types(described) == ["Sales", "Renewal"]
    # record types are listed whole: no record is asked, so no call is made
    problems = value_problems(cast(SalesforceClient, None), load_mapping(path),
                              lambda name: described, MappingLines(path))  # fmt: skip
    assert problems == [
        "salesforce.yaml:6 streams[0].include[\"RecordType.DeveloperName\"][1]: 'Renwal' is not "
        "a value of Opportunity.RecordType.DeveloperName and no record holds it, so it selects "
        "nothing; did you mean 'Renewal'? (the values: Sales, Renewal)"
    ]
