"""Tokens and webhook endpoints managed through a running server (on DuckDB the server is
the store's one writer, so `accord token` and `accord webhooks` cannot write meanwhile):
admin only, the secret shown once in the creating answer, every change audited with the
admin's token."""

from __future__ import annotations

from api_support import Served


def test_admin_creates_uses_and_revokes_a_token_over_http(served: Served) -> None:
    with served.client() as c:
        admin = served.auth("admin")
        made = c.post("/v1/tokens", json={"name": "dashboard", "role": "viewer"},
                      headers=admin)
        assert made.status_code == 200, made.text
        token, token_id = made.json()["token"], made.json()["token_id"]
        assert token.startswith(f"acc_{token_id}_") and made.json()["role"] == "viewer"
        new = {"Authorization": f"Bearer {token}"}
        assert c.get("/v1/contract", headers=new).status_code == 200
        listed = c.get("/v1/tokens", headers=admin).json()
        assert [t["name"] for t in listed if t["token_id"] == token_id] == ["dashboard"]
        assert token.split("_", 2)[2] not in str(listed)  # never the secret again
        gone = c.delete(f"/v1/tokens/{token_id}", headers=admin)
        assert gone.status_code == 200 and gone.json()["revoked_at"] is not None
        # the server re-reads token rows every 2 s at most; a fresh app sees it at once
    with served.client() as c:
        assert c.get("/v1/contract", headers=new).status_code == 401
        rows = c.app.state.service.store.service_table("audit_log").to_pyarrow().to_pylist()
    assert {(r["event_id"], r["token_name"], r["role"]) for r in rows} >= {
        (f"token-create:{token_id}", "admin-bot", "admin"),
        (f"token-revoke:{token_id}", "admin-bot", "admin")}


def test_webhook_endpoints_over_http(served: Served) -> None:
    with served.client() as c:
        admin = served.auth("admin")
        made = c.post("/v1/webhooks", json={"url": "https://crm.example.com/hooks",
                                            "name": "crm", "slack": False}, headers=admin)
        assert made.status_code == 200, made.text
        secret, endpoint = made.json()["secret"], made.json()["endpoint_id"]
        assert secret.startswith("whsec_")
        listed = c.get("/v1/webhooks", headers=served.auth("revops"))
        assert listed.status_code == 200
        assert [e["name"] for e in listed.json()] == ["crm"] and secret not in listed.text
        assert c.get("/v1/webhooks/log", headers=served.auth("revops")).json() == []
        assert c.delete("/v1/webhooks/crm", headers=admin).json()["endpoint_id"] == endpoint
        assert c.get("/v1/webhooks", headers=admin).json() == []


def test_only_admin_manages_and_bad_bodies_name_the_field(served: Served) -> None:
    with served.client() as c:
        for role in ("viewer", "marketing", "sales", "revops"):
            r = c.post("/v1/tokens", json={"name": "x", "role": "admin"},
                       headers=served.auth(role))
            assert r.status_code == 403 and "needs role admin" in r.json()["error"]
            r = c.post("/v1/webhooks", json={"url": "https://a.example.com/"},
                       headers=served.auth(role))
            assert r.status_code == 403
        assert c.get("/v1/webhooks", headers=served.auth("sales")).status_code == 403
        assert c.get("/v1/tokens").status_code == 401
        admin = served.auth("admin")
        for path, body, named in (
                ("/v1/tokens", {"name": "x", "role": "boss"}, "'role'"),
                ("/v1/tokens", {"name": "x"}, "'role'"),
                ("/v1/tokens", {"name": "x", "role": "viewer", "ttl": 3}, "'ttl'"),
                ("/v1/webhooks", {"name": "x"}, "'url'"),
                ("/v1/webhooks", {"url": "https://a.example.com/", "slack": "yes"}, "'slack'"),
                ("/v1/webhooks", {"url": "https://a.example.com/", "max_attempts": True},
                 "'max_attempts'"),
                ("/v1/webhooks", {"url": "ftp://a.example.com/"}, "http:// or https://")):
            r = c.post(path, json=body, headers=admin)
            assert 400 <= r.status_code < 500 and named in r.json()["error"], (body, r.text)
        assert c.delete("/v1/tokens/000000000000", headers=admin).status_code == 422
        assert c.delete("/v1/webhooks/nope", headers=admin).status_code == 422
        assert c.get("/v1/webhooks", headers=admin).json() == []
