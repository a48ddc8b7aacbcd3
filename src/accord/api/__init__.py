"""accord's HTTP API (`accord serve`): `create_app` in `api/app.py`, tokens in `api/tokens.py`."""
