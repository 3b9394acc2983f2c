"""Replays the histories the workflow tests produced (histories/*.json, beside this file) against
today's workflow code: a change that breaks determinism fails here, before it breaks running
cases. Histories recorded by earlier versions of the workflow stay in dated folders
(histories/recorded-<date>/), since cases started then may still be running.

Regenerate the current ones with `SLA_SAVE_HISTORIES=1 make pytest` when a change is meant to be
visible in history; move the previous ones into a dated folder first, and put a change they
cannot replay behind `workflow.patched`.
"""

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from worker import sandbox_runner
from workflows.case_sla import CaseSlaWorkflow
from workflows.converter import DATA_CONVERTER

HERE = Path(__file__).parent / "histories"
HISTORIES = sorted(HERE.rglob("*.json"))


def test_histories_are_kept() -> None:
    current = [path for path in HISTORIES if path.parent == HERE]
    assert len(current) >= 10, "regenerate with SLA_SAVE_HISTORIES=1"
    assert len(HISTORIES) > len(current), "keep the histories earlier versions recorded"


@pytest.mark.parametrize(
    "path", HISTORIES, ids=[str(path.relative_to(HERE).with_suffix("")) for path in HISTORIES]
)
async def test_history_replays(path: Path) -> None:
    saved = json.loads(path.read_text())
    history = WorkflowHistory.from_json(saved["workflow_id"], saved["history"])
    replayer = Replayer(
        workflows=[CaseSlaWorkflow],
        data_converter=DATA_CONVERTER,
        workflow_runner=sandbox_runner(),
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
