"""LLM layer: a small model protocol, an OpenAI-compatible backend, a labelled offline backend, and a
service that validates, re-asks, caches by content hash and records token usage."""
