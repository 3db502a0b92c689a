"""Mistakes in `websockets` are located spec errors, all reported at once (exit 2)."""

from __future__ import annotations

import textwrap

from click.testing import CliRunner

from mockserve.cli import main

MISTAKES = """
    mockserve: 1
    websockets:
      - path: /ws/chat
        subprotocols: [chat.v1, chat.v1]
        on_connect:
          - {send: hello, when: "true"}
          - {delay: 10}
        on_message:
          - send: {type: pong}
          - when: message.type ==
            send: x
          - when: "{{ message.type == 'bye' }}"
            close: {code: 1005, reason: done}
          - close: {code: 4000, reason: "%s"}
        faults:
          - {rate: 0.7, kind: disconnect}
          - {rate: 0.6, close: {code: 1001}}
          - {rate: 0.1}
      - path: /ws/chat
        on_message: [{send_every: {interval: 0, message: tick}}]
      - path: /__mockserve/ws
        on_message: [{send: "{{ ''.__class__ }}"}]
      - path: /ws/{id:nope}
        on_connect: [{sned: hi}]
      - on_connect: []
""" % ("x" * 124)


def test_every_mistake_in_websockets_is_located(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "chat.yaml").write_text(textwrap.dedent(MISTAKES).lstrip("\n"))
    result = CliRunner().invoke(main, ["validate", "chat.yaml"])
    assert result.exit_code == 2
    *problems, summary = result.stderr.splitlines()
    assert summary == "chat.yaml: 17 problems"
    assert problems == [
        "chat.yaml:4:19: websockets[0].subprotocols: ['chat.v1', 'chat.v1'] has non-unique "
        "elements",
        "chat.yaml:6:23: websockets[0].on_connect[0].when: 'when' is for on_message entries; "
        "on_connect steps always run",
        "chat.yaml:7:9: websockets[0].on_connect[1]: a step does something: send, send_every "
        "or close",
        "chat.yaml:9:9: websockets[0].on_message[0]: only the last on_message entry may omit "
        "'when' (later ones could never answer)",
        "chat.yaml:10:15: websockets[0].on_message[1].when: template syntax error: unexpected "
        "'end of print statement'",
        "chat.yaml:12:15: websockets[0].on_message[2].when: 'when' is an expression without "
        "braces: write \"message.type == 'bye'\"",
        "chat.yaml:13:23: websockets[0].on_message[2].close.code: 1005 is not a close code the "
        "mock may send (1000-1003, 1007-1014, or 3000-4999 for your own)",
        "chat.yaml:14:37: websockets[0].on_message[3].close.reason: a close reason is at most "
        "123 bytes as UTF-8; this one is 124",
        "chat.yaml:16:7: websockets[0].faults: the fault rates add up to 1.4, more than 1",
        "chat.yaml:18:9: websockets[0].faults[2]: a websocket fault is either 'kind: "
        "disconnect' or a 'close' with a code",
        "chat.yaml:19:11: websockets[1].path: duplicate websocket /ws/chat; first at chat.yaml:3",
        "chat.yaml:20:42: websockets[1].on_message[0].send_every.interval: 0 is less than or "
        "equal to the minimum of 0",
        "chat.yaml:21:11: websockets[2].path: '/__mockserve/ws' is under the admin path "
        "'/__mockserve' (change settings.admin)",
        "chat.yaml:22:25: websockets[2].on_message[0].send: unsafe attribute access "
        "'__class__' in template",
        "chat.yaml:23:11: websockets[3].path: unknown converter 'nope' (use int, float, uuid "
        "or path)",
        "chat.yaml:24:19: websockets[3].on_connect[0].sned: unknown key 'sned'; did you mean "
        "'send'?",
        "chat.yaml:25:5: websockets[4]: 'path' is required",
    ]
    assert "Traceback" not in result.output
