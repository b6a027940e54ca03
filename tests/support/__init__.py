"""Test-only helpers (never imported by the trtconv package)."""
