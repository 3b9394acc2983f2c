"""Tables of the config database (SQLAlchemy 2 typed ORM). Rows are `<Thing>Record`."""

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, utcnow


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
    status: Mapped[str] = mapped_column(String(20), default="pending")
    """pending (being attempted), delivered, or failed (gave up)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
