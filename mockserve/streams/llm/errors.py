"""The providers' own error answers: status, body and headers, as their SDKs read them.

OpenAI's SDK maps 400 to `BadRequestError`, 429 to `RateLimitError` and 5xx to
`InternalServerError`; Anthropic's maps 529 to `OverloadedError`. A rate limit says when
to try again (`retry-after`), as both providers do.
"""

from __future__ import annotations

from typing import Any

RETRY_AFTER_SECONDS = "1"

# kind: (status, OpenAI's error type and code, message)
_OPENAI: dict[str, tuple[int, str, str | None, str]] = {
    "rate_limit": (
        429,
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for requests. Please try again in 1s.",
    ),
    "overloaded": (
        503,
        "server_error",
        None,
        "The engine is currently overloaded, please try again later.",
    ),
    "invalid_request": (400, "invalid_request_error", None, "Invalid request (a mock error)."),
    "server": (
        500,
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
}

# kind: (status, Anthropic's error type, message)
_ANTHROPIC: dict[str, tuple[int, str, str]] = {
    "rate_limit": (
        429,
        "rate_limit_error",
        "Number of requests has exceeded your rate limit. Please try again later.",
    ),
    "overloaded": (529, "overloaded_error", "Overloaded"),
    "invalid_request": (400, "invalid_request_error", "Invalid request (a mock error)."),
    "server": (500, "api_error", "Internal server error"),
}


def error_answer(
    api: str, kind: str, request_id: str
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """The status, JSON body and headers `api` answers a `kind` error with."""
    headers: dict[str, str] = {}
    if kind == "rate_limit":
        headers["retry-after"] = RETRY_AFTER_SECONDS
    if api == "anthropic-messages":
        status, error_type, message = _ANTHROPIC[kind]
        headers["request-id"] = "req_" + request_id
        body = {
            "type": "error",
            "error": {"type": error_type, "message": message},
            "request_id": "req_" + request_id,
        }
        return status, body, headers
    status, error_type, code, message = _OPENAI[kind]
    headers["x-request-id"] = "req_" + request_id
    if kind == "rate_limit":
        headers["x-ratelimit-remaining-requests"] = "0"
    body = {"error": {"message": message, "type": error_type, "param": None, "code": code}}
    return status, body, headers
