"""The shortest path through the product: a spec, a real server, one answer."""


def test_a_static_route_answers_over_http(serve):
    live = serve("""
        mockserve: 1
        routes:
          - path: /health
            response:
              json: {status: ok}
    """)
    response = live.get("/health")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}


def test_a_lone_expression_keeps_its_type(client):
    answer = client("""
        mockserve: 1
        routes:
          - path: /users/{id:int}
            response:
              json: {id: "{{ path.id }}", label: "user {{ path.id }}"}
    """).get("/users/7")
    assert answer.get_json() == {"id": 7, "label": "user 7"}
