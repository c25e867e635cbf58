"""The offline backend's identity. Its rules live with their tasks (``llm.tasks.*.classify_offline``,
``summarise_offline``): deterministic stand-ins used when no API key is configured.

Its outputs are labelled ``offline`` everywhere they appear (Excel, artifacts, logs) so nobody takes
an extractive summary or a keyword match for a model's judgement.
"""

from __future__ import annotations

BACKEND = "offline"
MODEL = "offline-rules-v1"
