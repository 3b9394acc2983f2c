"""The milestone clock: the pure state machine of one case's milestones, in parts. `CaseClock`
(`case_clock`) owns commands and the rules of instances, on the pause rules (`pausing`) and the
thresholds that fall due as time passes (`thresholds`), all on the state and business time they
share (`core`). Pure: no Temporal, no I/O, never reads the clock."""

from workflows.clock.case_clock import Applied, CaseClock
from workflows.clock.core import check_opened_at

__all__ = ["Applied", "CaseClock", "check_opened_at"]
