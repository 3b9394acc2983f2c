"""Replays the histories the workflow tests produced (tests/histories/*.json) against today's
workflow code: a change that breaks determinism fails here, before it breaks running cases.

Regenerate them with `SLA_SAVE_HISTORIES=1 make pytest` when a change is meant to be visible in
history, and keep the old ones too when running cases must survive it (`workflow.patched`).
"""

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker import sandbox_runner
from workflows.case_sla import CaseSlaWorkflow

HISTORIES = sorted((Path(__file__).parent.parent / "histories").glob("*.json"))


def test_histories_are_kept() -> None:
    assert len(HISTORIES) >= 10, "regenerate with SLA_SAVE_HISTORIES=1"


@pytest.mark.parametrize("path", HISTORIES, ids=[path.stem for path in HISTORIES])
async def test_history_replays(path: Path) -> None:
    saved = json.loads(path.read_text())
    history = WorkflowHistory.from_json(saved["workflow_id"], saved["history"])
    replayer = Replayer(
        workflows=[CaseSlaWorkflow],
        data_converter=pydantic_data_converter,
        workflow_runner=sandbox_runner(),
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
