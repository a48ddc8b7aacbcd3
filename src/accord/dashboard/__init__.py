"""The shared dashboard served by `accord serve` under `/dashboard` (issue 14): server-rendered
pages behind a token login, charts drawn as SVG on the server (docs/dashboard.md)."""
