"""The baseline: the benchmark's scenarios written by hand in Flask, as a user would.

Served by the same server `mockserve run` uses (`UvicornBackend`, answering on its event
loop), so the ratio mockserve/baseline measures mockserve's own per-request work, not the
server's (S5's sleeping view is not measured on it: it would hold up the loop):

    python benchmarks/baseline_app.py --port 8001 [--routes 1000]

and, as the second baseline (the fastest one-process server for Flask), by granian
through the module-level WSGI `app` (S4's routes when BASELINE_ROUTES is set):

    granian --interface wsgi --workers 1 --working-dir benchmarks baseline_app:app
"""

from __future__ import annotations

import argparse
import os
import signal
import time
from pathlib import Path

import yaml
from flask import Flask, jsonify, request
from jsonschema import Draft202012Validator

# The same Order schema the mockserve scenarios check, read from their spec.
ORDER_SCHEMA = yaml.safe_load((Path(__file__).parent / "scenarios.yaml").read_text())["schemas"][
    "Order"
]
ORDER = Draft202012Validator(ORDER_SCHEMA)


def scenarios_app() -> Flask:
    """S1-S3 and S5: the same routes as benchmarks/scenarios.yaml."""
    app = Flask("baseline")

    @app.get("/static")
    def static_json():
        return {"status": "ok", "service": "bench", "items": [1, 2, 3]}

    @app.get("/users/<int:user_id>")
    def user(user_id: int):
        verbose = request.args.get("verbose")
        if verbose is not None and verbose not in ("0", "1"):
            return jsonify(error="invalid request"), 422
        response = jsonify(id=user_id, verbose=verbose == "1", greeting=f"hello user {user_id}")
        response.headers["X-User-Id"] = str(user_id)
        return response

    @app.post("/orders")
    def create_order():
        body = request.get_json(silent=True)
        errors = [e.message for e in ORDER.iter_errors(body)] if body is not None else ["no body"]
        if errors:
            return jsonify(error="invalid request", errors=errors), 422
        return {"item": body["item"], "qty": body["qty"], "status": "accepted"}, 201

    @app.get("/slow")
    def slow():
        time.sleep(0.2)
        return {"slow": True}

    return app


def many_routes_app(count: int) -> Flask:
    """S4: `count` static routes /r0000/items ... like benchmarks' generated spec."""
    app = Flask("baseline")
    for i in range(count):

        def view(i=i):
            return {"route": i, "status": "ok"}

        app.add_url_rule(f"/r{i:04d}/items", endpoint=f"r{i:04d}", view_func=view)
    return app


def app_from_env() -> Flask:
    """S4's BASELINE_ROUTES static routes if that is set, else the scenarios."""
    routes = int(os.environ.get("BASELINE_ROUTES") or 0)
    return many_routes_app(routes) if routes else scenarios_app()


# For servers that import a WSGI app by name (granian in benchmarks/run.py).
app = app_from_env()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--routes", type=int, default=0, help="serve S4's N static routes")
    args = parser.parse_args()
    from mockserve.serve.uvicorn import UvicornBackend  # the server `mockserve run` uses

    served = many_routes_app(args.routes) if args.routes else scenarios_app()
    server = UvicornBackend(served, host=args.host, port=args.port)
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    signal.signal(signal.SIGINT, lambda *_: server.stop())
    server.serve()


if __name__ == "__main__":
    main()
