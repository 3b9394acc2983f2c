"""Queries of the API keys: a key's hash and its first characters are stored, never the key,
which is shown once, at creation."""

from collections.abc import Sequence
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import NotFoundError
from api.keys import PREFIX_LENGTH, hash_key, new_key
from api.schemas import ApiKeyCreate, Role
from database.models import ApiKeyRecord


def create_api_key(session: Session, *, body: ApiKeyCreate) -> tuple[ApiKeyRecord, str]:
    key = new_key()
    record = ApiKeyRecord(
        name=body.name, prefix=key[:PREFIX_LENGTH], key_hash=hash_key(key), roles=body.roles
    )
    session.add(record)
    session.commit()
    return record, key


def list_api_keys(session: Session) -> Sequence[ApiKeyRecord]:
    return session.scalars(select(ApiKeyRecord).order_by(ApiKeyRecord.id)).all()


def delete_api_key(session: Session, *, key_id: int) -> ApiKeyRecord:
    record = session.get(ApiKeyRecord, key_id)
    if record is None:
        raise NotFoundError(f"API key {key_id} does not exist")
    session.delete(record)
    session.commit()
    return record


def roles_of_key(session: Session, *, key_hash: str) -> tuple[int, str, list[Role]] | None:
    row = session.execute(
        select(ApiKeyRecord.id, ApiKeyRecord.name, ApiKeyRecord.roles).where(
            ApiKeyRecord.key_hash == key_hash
        )
    ).first()
    return None if row is None else (row[0], row[1], cast(list[Role], list(row[2])))
