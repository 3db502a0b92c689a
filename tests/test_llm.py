"""`response.llm`, read by the providers' own SDKs: `openai` and `anthropic`.

Every preset is read whole and streamed, with text and with tool calls, and every
`llm_error` arrives as the SDK's own exception class. The example specs
`specs/llm.yaml` and `specs/chat-completions.yaml` are the mocks under test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import anthropic
import openai
import pytest
import yaml

from mockserve import MockServer

SPECS = Path(__file__).resolve().parent.parent / "specs"
TOOLS_OPENAI_CHAT = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]
TOOLS_FLAT = [
    {
        "type": "function",
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
]
TOOLS_ANTHROPIC = [
    {
        "name": "get_weather",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
]
SAID = "Hello from the mock. You said: "


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(SPECS / "llm.yaml", seed=11) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(server: MockServer) -> None:
    server.reset()


@pytest.fixture
def oai(server: MockServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key="test", max_retries=0)


@pytest.fixture
def claude(server: MockServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=server.url, api_key="test", max_retries=0)


def chat(text: str) -> list[dict]:
    return [{"role": "system", "content": "Be brief."}, {"role": "user", "content": text}]


# -- OpenAI Chat Completions -----------------------------------------------------------


def test_openai_chat_whole(oai):
    completion = oai.chat.completions.create(model="gpt-4o-mini", messages=chat("hi there"))
    assert completion.object == "chat.completion"
    assert completion.model == "gpt-4o-mini"  # the request's model, echoed
    choice = completion.choices[0]
    assert choice.message.content == SAID + "hi there"
    assert choice.finish_reason == "stop"
    # one token a word: "Be brief." and "hi there" in; 8 words out
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (4, 8)


def test_openai_chat_streamed_with_usage(oai, server):
    stream = oai.chat.completions.create(
        model="gpt-4o-mini",
        messages=chat("hi there"),
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    deltas = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta]
    assert "".join(d or "" for d in deltas) == SAID + "hi there"
    assert deltas[1:4] == ["Hello", " from", " the"]  # a token a delta
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == 12
    (entry,) = server.wait_for("POST", "openai-chat")
    assert entry.extra["stream"] == {"events": len(chunks) + 1, "client_left": False}  # + [DONE]


def test_openai_chat_tool_calls_whole_and_streamed(oai):
    asked = {"model": "gpt-4o", "messages": chat("weather?"), "tools": TOOLS_OPENAI_CHAT}
    completion = oai.chat.completions.create(**asked)
    (call,) = completion.choices[0].message.tool_calls
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert completion.choices[0].finish_reason == "tool_calls"
    with oai.chat.completions.stream(**asked) as stream:  # the SDK's own accumulator
        final = stream.get_final_completion()
    (streamed,) = final.choices[0].message.tool_calls
    assert streamed.function.name == "get_weather"
    assert json.loads(streamed.function.arguments) == {"city": "Paris"}


def test_a_seeded_run_streams_the_same_chunks(oai, server):
    def run() -> list[dict]:
        stream = oai.chat.completions.create(model="m", messages=chat("again"), stream=True)
        chunks = [chunk.model_dump(exclude={"created"}) for chunk in stream]
        server.reset()  # back to server start: the seeded draws start over
        return chunks

    assert run() == run()


# -- OpenAI Responses ------------------------------------------------------------------


def test_openai_responses_whole(oai):
    response = oai.responses.create(model="gpt-4.1", input="hi there")
    assert response.output_text == SAID + "hi there"
    assert response.model == "gpt-4.1"
    assert response.usage.input_tokens == 2


def test_openai_responses_streamed(oai):
    with oai.responses.stream(model="gpt-4.1", input="hi there") as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds.count("response.output_text.delta") == 8
    assert kinds[-1] == "response.completed"
    assert final.output_text == SAID + "hi there"


def test_openai_responses_tool_calls(oai):
    response = oai.responses.create(model="gpt-4.1", input="weather?", tools=TOOLS_FLAT)
    (call,) = response.output
    assert (call.type, call.name, json.loads(call.arguments)) == (
        "function_call",
        "get_weather",
        {"city": "Paris"},
    )
    with oai.responses.stream(model="gpt-4.1", input="weather?", tools=TOOLS_FLAT) as stream:
        final = stream.get_final_response()
    assert final.output[0].name == "get_weather"
    assert json.loads(final.output[0].arguments) == {"city": "Paris"}


# -- Anthropic Messages ----------------------------------------------------------------


def test_anthropic_messages_whole(claude):
    message = claude.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=100,
        messages=[{"role": "user", "content": "hi there"}],
    )
    assert message.model == "claude-sonnet-4-5"
    assert message.content[0].text == SAID + "hi there"
    assert message.stop_reason == "end_turn"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (2, 8)


def test_anthropic_messages_streamed(claude):
    with claude.messages.stream(
        model="claude-sonnet-4-5", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == SAID + "hi"
    assert final.content[0].text == text
    assert final.usage.output_tokens == 7


def test_anthropic_tool_use_whole_and_streamed(claude):
    asked = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "weather?"}],
        "tools": TOOLS_ANTHROPIC,
    }
    message = claude.messages.create(**asked)
    assert message.stop_reason == "tool_use"
    text, tool = message.content
    assert text.text == "Let me look that up."
    assert (tool.type, tool.name, tool.input) == ("tool_use", "get_weather", {"city": "Paris"})
    with claude.messages.stream(**asked) as stream:
        final = stream.get_final_message()
    assert final.content[1].input == {"city": "Paris"}
    assert final.stop_reason == "tool_use"


# -- errors, as each SDK's own exception classes ---------------------------------------

KINDS = ("rate_limit", "overloaded", "invalid_request", "server")
OPENAI_ERRORS = {
    "rate_limit": (openai.RateLimitError, 429),
    "overloaded": (openai.InternalServerError, 503),
    "invalid_request": (openai.BadRequestError, 400),
    "server": (openai.InternalServerError, 500),
}
ANTHROPIC_ERRORS = {
    "rate_limit": (anthropic.RateLimitError, 429),
    "overloaded": (anthropic.OverloadedError, 529),
    "invalid_request": (anthropic.BadRequestError, 400),
    "server": (anthropic.InternalServerError, 500),
}


@pytest.fixture(scope="module")
def failing(tmp_path_factory) -> Iterator[MockServer]:
    """A route per API and error kind, under /KIND: each fault fires every time."""
    routes = []
    for kind in KINDS:
        for api, path in (
            ("openai-chat", "/v1/chat/completions"),
            ("openai-responses", "/v1/responses"),
            ("anthropic-messages", "/v1/messages"),
        ):
            routes.append(
                {
                    "method": "POST",
                    "path": f"/{kind}{path}",
                    "faults": [{"rate": 1, "llm_error": kind}],
                    "response": {"llm": {"api": api, "text": "never sent"}},
                }
            )
    spec = tmp_path_factory.mktemp("llm-errors") / "errors.yaml"
    spec.write_text(yaml.safe_dump({"mockserve": 1, "routes": routes}))
    with MockServer(spec) as running:
        yield running


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_openai_errors_are_the_sdks_own(failing, kind, streamed):
    client = openai.OpenAI(base_url=f"{failing.url}/{kind}/v1", api_key="t", max_retries=0)
    error_class, status = OPENAI_ERRORS[kind]
    with pytest.raises(error_class) as chat_error:
        client.chat.completions.create(model="m", messages=chat("hi"), stream=streamed)
    with pytest.raises(error_class) as responses_error:
        client.responses.create(model="m", input="hi", stream=streamed)
    for raised in (chat_error.value, responses_error.value):
        assert raised.status_code == status
        assert raised.body["type"] in ("requests", "server_error", "invalid_request_error")
        if kind == "rate_limit":
            assert raised.response.headers["retry-after"] == "1"
            assert raised.code == "rate_limit_exceeded"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_anthropic_errors_are_the_sdks_own(failing, kind, streamed):
    client = anthropic.Anthropic(base_url=f"{failing.url}/{kind}", api_key="t", max_retries=0)
    error_class, status = ANTHROPIC_ERRORS[kind]
    with pytest.raises(error_class) as raised:
        client.messages.create(
            model="claude",
            max_tokens=10,
            messages=[{"role": "user", "content": "hi"}],
            stream=streamed,
        )
    assert raised.value.status_code == status
    assert (
        raised.value.body["error"]["type"]
        == {
            "rate_limit": "rate_limit_error",
            "overloaded": "overloaded_error",
            "invalid_request": "invalid_request_error",
            "server": "api_error",
        }[kind]
    )
    assert raised.value.request_id.startswith("req_")
    if kind == "rate_limit":
        assert raised.value.response.headers["retry-after"] == "1"


# -- the chat example, as a frontend would use it --------------------------------------


def test_the_chat_example_checks_messages_and_streams(serve):
    live = serve(SPECS / "chat-completions.yaml")
    client = openai.OpenAI(base_url=live.url + "/v1", api_key="test", max_retries=0)
    stream = client.chat.completions.create(model="m", messages=chat("hi"), stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream) == "You said: hi"
    weather = client.chat.completions.create(model="m", messages=chat("the weather?"))
    (call,) = weather.choices[0].message.tool_calls
    assert json.loads(call.function.arguments) == {"city": "Paris", "unit": "celsius"}
    with pytest.raises(openai.UnprocessableEntityError) as refused:  # the contract on messages
        client.chat.completions.create(model="m", messages=[{"content": "no role"}])
    assert refused.value.response.json()["errors"][0]["path"] == "/messages/0"
    preflight = live.request(
        "OPTIONS",
        "/v1/chat/completions",
        headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
