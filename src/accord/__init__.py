"""accord — the marketing–sales agreement as one versioned contract, enforced and measured."""

__version__ = "0.1.0"
