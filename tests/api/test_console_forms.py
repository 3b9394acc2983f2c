"""The request guard and the console's form posts: a form body is bounded but not read as JSON
text (the console's forms reach the contract's validators instead), while a JSON body, or one
sent without a content type, is still checked; a form body sent to a JSON route is refused as
input, never parsed as JSON."""

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers.api import client_for

NUL = b'{"name": "a\\u0000b"}'


@pytest.mark.parametrize("content_type", ["application/json", None])
async def test_json_bodies_are_still_checked(
    admin: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await admin.post("/milestone-types", content=NUL, headers=headers)
    assert response.status_code == 422
    assert "NUL" in response.text or "\\u0000" in response.text


async def test_a_form_post_reaches_the_console(app: FastAPI) -> None:
    async with client_for(app, None) as browser:
        # Form text the JSON check refuses (read as JSON, it holds a string with a NUL escape)
        # reaches the console, which refuses it for its missing CSRF token, not as JSON.
        response = await browser.post(
            "/console/sign-in",
            content=b'key="a\\u0000b"&next=%2Fconsole%2Fcases',
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 403
        assert "security token is missing" in response.text


async def test_a_form_body_to_a_json_route_is_refused_as_input(admin: httpx.AsyncClient) -> None:
    response = await admin.post(
        "/milestone-types",
        content=b"name=a%00b",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 422
