"""Tables of the config database (SQLAlchemy 2 typed ORM). Rows are `<Thing>Record`."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from database.engine import Base, UTCDateTime, utcnow


class DeliveryRecord(Base):
    """One action's delivery, keyed by its idempotency key: written by the action activities,
    read by ops. A key that is `delivered` is never delivered again."""

    __tablename__ = "delivery"

    idempotency_key: Mapped[str] = mapped_column(String(600), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(200), index=True)
    milestone: Mapped[str] = mapped_column(String(100))
    instance: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    n: Mapped[int] = mapped_column(Integer)
    handler: Mapped[str] = mapped_column(String(63))
    status: Mapped[str] = mapped_column(String(20), default="sending")
    """sending (an attempt is under way), pending (the last attempt failed; more will come),
    delivered, or failed (given up)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    """While an attempt is sending: until when no other attempt may start (its own deadline),
    so an attempt that timed out but still runs cannot race a retry into a second delivery."""


# ------------------------------------------------------------------------------- configuration


class MilestoneTypeRecord(Base):
    """A milestone type of the catalog, at one level: global, an account, or a relationship type.

    `scope_key` names the level in one non-null column (`account:ACME`), computed by the database
    so no writer can get it wrong: a unique constraint over nullable `account_id` would let
    PostgreSQL admit duplicates, since NULLs never compare equal. `name_key` is the casefolded
    name, so names are unique case-insensitively within a level.
    """

    __tablename__ = "milestone_type"
    __table_args__ = (
        UniqueConstraint("scope_key", "name_key", name="uq_milestone_type_scope_key_name_key"),
        CheckConstraint("scope IN ('global', 'account', 'relationship')", name="scope"),
        CheckConstraint("recurrence IN ('none', 'independent', 'sequential')", name="recurrence"),
        CheckConstraint(
            "(scope = 'global' AND account_id IS NULL AND relationship_type IS NULL)"
            " OR (scope = 'account' AND account_id IS NOT NULL AND relationship_type IS NULL)"
            " OR (scope = 'relationship' AND account_id IS NULL"
            " AND relationship_type IS NOT NULL)",
            name="level",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    color: Mapped[str] = mapped_column(String(7))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    scope: Mapped[str] = mapped_column(String(20))
    account_id: Mapped[str | None] = mapped_column(String(200), default=None)
    relationship_type: Mapped[str | None] = mapped_column(String(200), default=None)
    scope_key: Mapped[str] = mapped_column(
        String(420),
        Computed(
            "scope || ':' || coalesce(account_id, '') || ':' || coalesce(relationship_type, '')",
            persisted=True,
        ),
        index=True,
    )
    position: Mapped[int] = mapped_column(Integer)
    reporting_category: Mapped[str | None] = mapped_column(String(100), default=None)
    recurrence: Mapped[str] = mapped_column(String(20), default="none")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class BusinessHoursRecord(Base):
    """A business-hours calendar: the `workflows.business_hours.BusinessHours` model, stored as
    its JSON. Processes name calendars; `name_key` keeps names unique case-insensitively."""

    __tablename__ = "business_hours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(800), unique=True)
    """`name.casefold()`, which can be longer than the name ('ﬃ' folds to 'ffi')."""
    definition: Mapped[str] = mapped_column(Text)
    """`BusinessHours.model_dump_json()`."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class EntitlementProcessRecord(Base):
    """An entitlement process: its name, the level whose milestone types it uses, its versions.

    Names are unique case-insensitively (the workflow's `EntitlementProcess` search attribute
    carries the name) and never change, so a name is a stable reference for case systems.
    """

    __tablename__ = "entitlement_process"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    account_id: Mapped[str | None] = mapped_column(String(200), default=None)
    relationship_type: Mapped[str | None] = mapped_column(String(200), default=None)
    latest_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    versions: Mapped[list["ProcessVersionRecord"]] = relationship(
        back_populates="process", lazy="raise", order_by="ProcessVersionRecord.version"
    )


class ProcessVersionRecord(Base):
    """A published version of a process; immutable once written. `definition` is the contract's
    `EntitlementProcess`, the very snapshot a case pins."""

    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("process_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[int] = mapped_column(
        ForeignKey("entitlement_process.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[str] = mapped_column(Text)
    """`EntitlementProcess.model_dump_json()`."""
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    process: Mapped[EntitlementProcessRecord] = relationship(
        back_populates="versions", lazy="raise"
    )


class ProcessVersionMilestoneTypeRecord(Base):
    """Which milestone types a published version uses: a type in use cannot be deleted."""

    __tablename__ = "process_version_milestone_type"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("process_version.id", ondelete="CASCADE"), primary_key=True
    )
    milestone_type_id: Mapped[int] = mapped_column(
        ForeignKey("milestone_type.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class ProcessVersionBusinessHoursRecord(Base):
    """Which calendars a published version names: such a calendar cannot be deleted or renamed."""

    __tablename__ = "process_version_business_hours"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("process_version.id", ondelete="CASCADE"), primary_key=True
    )
    business_hours_id: Mapped[int] = mapped_column(
        ForeignKey("business_hours.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class EntitlementRecord(Base):
    """An account's entitlement: the contract's `workflows.entitlements.Entitlement`, with its
    process and its overriding business hours as references (the process has no delete, and a
    calendar an entitlement names cannot be deleted; a renamed one stays its calendar).

    Names are unique case-insensitively within an account (`name_key`). `cases_used` is kept by
    the engine as cases consume the allowance; clients never write it.
    """

    __tablename__ = "entitlement"
    __table_args__ = (
        UniqueConstraint("account_id", "name_key", name="uq_entitlement_account_id_name_key"),
        CheckConstraint("on_exhausted IN ('refuse', 'flag')", name="on_exhausted"),
        CheckConstraint("cases_allowed IS NULL OR cases_allowed >= 1", name="cases_allowed"),
        CheckConstraint("cases_used >= 0", name="cases_used"),
        CheckConstraint(
            "starts_on IS NULL OR ends_on IS NULL OR starts_on <= ends_on", name="dates"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(400))
    """`name.casefold()`, which can be longer than the name ('ﬃ' folds to 'ffi')."""
    account_id: Mapped[str | None] = mapped_column(String(200))
    """None: a default entitlement, for every account none of whose own entitlements applies."""
    process_id: Mapped[int] = mapped_column(
        ForeignKey("entitlement_process.id", ondelete="RESTRICT"), index=True
    )
    business_hours_id: Mapped[int | None] = mapped_column(
        ForeignKey("business_hours.id", ondelete="RESTRICT"), index=True, default=None
    )
    starts_on: Mapped[date | None] = mapped_column(Date, default=None)
    ends_on: Mapped[date | None] = mapped_column(Date, default=None)
    cases_allowed: Mapped[int | None] = mapped_column(Integer, default=None)
    cases_used: Mapped[int] = mapped_column(Integer, default=0)
    applies_when: Mapped[str | None] = mapped_column(Text, default=None)
    """`Criteria.model_dump_json()`, or null: every case."""
    priority: Mapped[int] = mapped_column(Integer, default=0)
    on_exhausted: Mapped[str] = mapped_column(String(20), default="refuse")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    process: Mapped[EntitlementProcessRecord] = relationship(lazy="joined")
    business_hours: Mapped[BusinessHoursRecord | None] = relationship(lazy="joined")


class EntitlementCaseRecord(Base):
    """A case an entitlement with an allowance covered: one row per case, written in the same
    transaction that counts it in `cases_used`, so a retried or racing start of the same case
    never counts twice. `counted` is False for a case started over the allowance (flagged)."""

    __tablename__ = "entitlement_case"

    case_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    entitlement_id: Mapped[int] = mapped_column(
        ForeignKey("entitlement.id", ondelete="CASCADE"), index=True
    )
    counted: Mapped[bool] = mapped_column(Boolean)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiKeyRecord(Base):
    """An API key: its SHA-256 and its first 8 characters are kept, never the key (shown once, at
    creation)."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(8))
    """The key's first 8 characters, to tell keys apart in listings: "sla_" and 4 random ones
    (24 of its 256 random bits), kept in clear."""
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    roles: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConsoleSessionRecord(Base):
    """A signed-in console session, from sign-in to sign-out or expiry. Its cookie carries the
    session id; only the id's SHA-256 is kept, with the hash of the key it was opened with, so
    every API process sharing the database ends it at once when it is signed out."""

    __tablename__ = "console_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


# ------------------------------------------------------------------------------------- records


class MilestoneRecordRow(Base):
    """A milestone instance as reports read it (the contract's `workflows.records
    .MilestoneRecord`), written by the case's workflow, kept after Temporal's retention.

    `revision` is the case's write counter: a row is only ever replaced by a write of the same or
    a newer revision. `resolved_at` places a resolved instance in a report's period.
    """

    __tablename__ = "milestone_record"
    __table_args__ = (
        # Everything a compliance report reads, led by the period: the report scans the index,
        # never the (wide) table.
        Index(
            "ix_milestone_record_report",
            "resolved_at",
            "outcome",
            "business_elapsed_seconds",
            "milestone",
            "reporting_category",
            "account_id",
            "priority_at_end",
            "process",
            "color",
            "entitlement",
        ),
        Index("ix_milestone_record_account_started", "account_id", "started_at"),
        Index("ix_milestone_record_open", "state", "target_at"),
        # A case's running instances by target: its next deadline in one seek ("My cases").
        Index("ix_milestone_record_case_open", "case_id", "state", "target_at"),
    )

    case_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    milestone: Mapped[str] = mapped_column(String(100), primary_key=True)
    instance: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str | None] = mapped_column(String(200))
    process: Mapped[str] = mapped_column(String(100))
    process_version: Mapped[int] = mapped_column(Integer)
    entitlement: Mapped[str | None] = mapped_column(String(100), default=None)
    reporting_category: Mapped[str | None] = mapped_column(String(100))
    color: Mapped[str] = mapped_column(String(7))
    priority_at_start: Mapped[str | None] = mapped_column(String(100))
    priority_at_end: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    target_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    violated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    target_seconds: Mapped[float] = mapped_column(Float)
    business_elapsed_seconds: Mapped[float] = mapped_column(Float)
    stopped_seconds: Mapped[float] = mapped_column(Float)
    completed_late: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str | None] = mapped_column(String(20))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    as_of: Mapped[datetime] = mapped_column(UTCDateTime())
    revision: Mapped[int] = mapped_column(Integer)


class CaseRecordRow(Base):
    """A case as reports read it (the contract's `workflows.records.CaseRecord`)."""

    __tablename__ = "case_record"
    __table_args__ = (
        Index("ix_case_record_account_opened", "account_id", "opened_at"),
        Index("ix_case_record_owner_open", "owner", "closed_at"),
    )

    case_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(String(200))
    process: Mapped[str] = mapped_column(String(100))
    process_version: Mapped[int] = mapped_column(Integer)
    entitlement: Mapped[str | None] = mapped_column(String(100), default=None)
    owner: Mapped[str | None] = mapped_column(String(200), default=None)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_state: Mapped[str] = mapped_column(String(20))
    breached: Mapped[bool] = mapped_column(Boolean)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime())
    revision: Mapped[int] = mapped_column(Integer)
