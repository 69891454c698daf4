"""Projects the event stream into read models."""
