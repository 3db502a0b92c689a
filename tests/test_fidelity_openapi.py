"""OpenAPI documents served as they say, found by running real ones: each case is a
trimmed piece of a real document (source noted in its fixture)."""

from __future__ import annotations

import pytest
import requests

from mockserve import MockServer
from mockserve.loading import load_spec

READ_ONLY = """\
openapi: {version}
info: {{title: read-only properties, version: "1"}}
paths:
  /users:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {{$ref: '#/components/schemas/User'}}
      responses:
        "201":
          description: made
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/User'}}
components:
  schemas:
    User:
      type: object
      required: [id, name]
      properties:
        id: {{type: integer, readOnly: true}}
        name: {{type: string}}
"""


def served(path, *, lazy: bool = True) -> MockServer:
    """The document as `mockserve run` serves it: each route compiled on its first call."""
    return MockServer(load_spec(path, lazy=lazy))


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_a_body_ref_to_a_schema_with_read_only_properties_is_served(tmp_path, version):
    path = tmp_path / "users.yaml"
    path.write_text(READ_ONLY.format(version=version))
    with served(path) as server:
        made = requests.post(server.url + "/users", json={"name": "Ada"}, timeout=10)
        assert made.status_code == 201, made.text
        refused = requests.post(server.url + "/users", json={"id": 1}, timeout=10)
        assert refused.status_code == 422  # `name` is still required
