"""LifeTime's side of the shared HTTP layer: a static Bearer token, swagger-typed queries, its errors.

Everything a call needs beyond that — one session, retries with jittered backoff on connection
errors, 429 and 502–504 (``Retry-After`` honoured), at-most-once POSTs through ``find_again``,
``call_counts``, redaction, the injected Clock — is the ODC client's core
(:meth:`odc_pipeline.api.http.HttpClient.send`), not a copy of it. What differs here:

* auth is the service account's token, sent as ``Authorization: Bearer`` (DOCAUTH); LifeTime
  has no way to renew it for us, so a 401 is not retried but raised as an AuthenticationError
  naming the API and ``LIFETIME_TOKEN``; a 403 names the operation and what the swagger says
  the refusal means;
* a GET is also retried on 500: it changes nothing, and LifeTime answers transient back-end
  trouble with 500 ("Failed to retrieve …"), which ends OP's scripts (notes §3.0);
* queries go through :mod:`odc_pipeline.lifetime.query` (the swagger's declared types);
* answers are JSON, ``text/plain`` (a new plan's key) or empty (202, 204): :class:`Answer`
  carries whichever came, and any 2xx is success — the swagger and real servers disagree on
  200 vs 201 (notes §5.1), so no call insists on one of them.
"""

from __future__ import annotations

import json as jsonlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import backoff
import requests

from odc_pipeline import swagger
from odc_pipeline.api.errors import ApiError, answer_error
from odc_pipeline.api.http import RETRYABLE_STATUSES, FindAgain, FoundAgain, HttpClient, Platform
from odc_pipeline.api.http import _fill as fill_path
from odc_pipeline.clock import Clock
from odc_pipeline.lifetime.endpoints import LifetimeApi
from odc_pipeline.lifetime.errors import LifetimeErrorBody
from odc_pipeline.lifetime.query import query_pairs
from odc_pipeline.lifetime.settings import LifetimeSettings
from odc_pipeline.redaction import SecretRegistry

log = logging.getLogger(__name__)

LIFETIME_PLATFORM = Platform(
    url_variable="LIFETIME_URL", ca_variable="LIFETIME_CA_BUNDLE", console="LifeTime"
)
GET_RETRY_STATUSES = RETRYABLE_STATUSES | {500}


class StaticToken:
    """The service account's token: registered as a secret at once, never renewed."""

    def __init__(self, settings: LifetimeSettings, secrets: SecretRegistry) -> None:
        self._token = settings.token.get_secret_value()
        secrets.register(self._token)

    def token(self) -> str:
        return self._token

    def invalidate(self, token: str) -> None:
        """Nothing to renew: LifeTime issues tokens only in its console (notes §1)."""


@dataclass(frozen=True)
class Answer:
    """A successful answer: parsed JSON, else the text, None when empty."""

    status: int
    body: Any
    found_again: bool = False  # the POST's answer was lost; ``body`` is what find_again found


class LifetimeHttp:
    """Calls to one LifeTime's APIs, on the shared retrying core."""

    def __init__(
        self,
        settings: LifetimeSettings,
        *,
        clock: Clock,
        secrets: SecretRegistry,
        session: requests.Session | None = None,
        jitter: Callable[[float], float] = backoff.full_jitter,
    ) -> None:
        self.settings = settings
        self.secrets = secrets
        self.core = HttpClient(
            settings,
            clock=clock,
            secrets=secrets,
            session=session,
            jitter=jitter,
            auth=StaticToken(settings, secrets),
            platform=LIFETIME_PLATFORM,
        )

    @property
    def clock(self) -> Clock:
        return self.core.clock

    @property
    def session(self) -> requests.Session:
        return self.core.session

    @property
    def call_counts(self) -> Mapping[str, int]:
        """Requests sent per ``"METHOD <base path><swagger template>"`` (retries included)."""
        return self.core.call_counts

    def request(
        self,
        method: str,
        api: LifetimeApi,
        template: str,
        *,
        path_params: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        text: str | None = None,
        find_again: FindAgain | None = None,
    ) -> Answer:
        """Call ``template`` of ``api``; raises an :class:`ApiError` subclass for every non-2xx.

        ``text`` sends a raw text body (the Properties API takes the value unencoded, notes §3.4).
        """
        method = method.upper()
        path = api.base_path + fill_path(template, path_params or {})
        headers = {
            "Authorization": f"Bearer {self.core.auth.token()}",
            "Accept": _accept(api, method, template),
        }
        data = None
        if text is not None:
            # The Properties API takes the raw value with OP's content type (its UNDOC document)
            headers["Content-Type"] = "application/json"
            data = text.encode()
        outcome = self.core.send(
            method,
            self.settings.url + path,
            key=f"{method} {api.base_path}{template}",
            headers=headers,
            params=query_pairs(api, method, template, params),
            json=json,
            data=data,
            find_again=find_again,
            retry_statuses=GET_RETRY_STATUSES if method == "GET" else RETRYABLE_STATUSES,
        )
        if isinstance(outcome, FoundAgain):
            return Answer(200, dict(outcome.body), found_again=True)
        return self._result(outcome, api=api, method=method, path=path, template=template)

    def _result(
        self, response: requests.Response, *, api: LifetimeApi, method: str, path: str, template: str
    ) -> Answer:
        status = response.status_code
        body = _body(response)
        if 200 <= status < 300:
            return Answer(status, body)
        error = LifetimeErrorBody.from_answer(body, response.text)
        problem = error.problem(status, self.secrets.redact)
        summary = problem.detail or "no details"
        meaning = _response_description(api, method, template, 403) if status == 403 else None
        raise answer_error(
            status,
            method=method,
            path=path,
            problem=problem,
            summary=summary,
            redact=self.secrets.redact,
            unauthorized=f"the {api.name} refused the service account token (HTTP 401: {summary}); "
            "check LIFETIME_TOKEN — LifeTime shows a token once, and generating a new one "
            "invalidates the old",
            forbidden=f"the {api.name} refused the service account "
            f"({meaning or 'insufficient permissions'}; HTTP 403: {summary}); "
            "grant its role the permission in LifeTime's User Management",
            permissions=[meaning] if meaning else [],
        )


def _body(response: requests.Response) -> Any:
    """JSON when it parses, else the text (``text/plain`` keys), None when empty."""
    if not response.content:
        return None
    text = response.text
    try:
        return jsonlib.loads(text)
    except ValueError:
        return text


def _operation(api: LifetimeApi, method: str, template: str) -> Mapping[str, Any] | None:
    return swagger.load_spec(api.spec_file)["paths"][template].get(method.lower())


def _accept(api: LifetimeApi, method: str, template: str) -> str:
    """The swagger's ``produces`` (POST /deployments/ answers ``text/plain``), JSON by default."""
    operation = _operation(api, method, template) or {}
    produces = operation.get("produces") or ["application/json"]
    return ", ".join(produces)


def _response_description(api: LifetimeApi, method: str, template: str, status: int) -> str | None:
    """What the swagger says a status means for this operation ("Invalid user permissions.")."""
    operation = _operation(api, method, template) or {}
    response = operation.get("responses", {}).get(str(status)) or {}
    description = response.get("description")
    return str(description).strip() if description else None


def expect_json_object(answer: Answer, where: str) -> Mapping[str, Any]:
    """The answer's body as a JSON object, or an ApiError saying what came instead."""
    if not isinstance(answer.body, dict):
        raise ApiError(
            f"{where} answered HTTP {answer.status} without the JSON object the swagger declares",
            status=answer.status,
        )
    return answer.body


def expect_json_list(answer: Answer, where: str) -> list[Any]:
    """A list answer; 204 (LifeTime's "there are none") and an empty body are the empty list."""
    if answer.status == 204 or answer.body is None:
        return []
    if not isinstance(answer.body, list):
        raise ApiError(
            f"{where} answered HTTP {answer.status} without the JSON array the swagger declares",
            status=answer.status,
        )
    return answer.body
