"""pii package."""
