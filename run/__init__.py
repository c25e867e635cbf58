"""The run's own rules, without Prefect: what to read, one document's way through, how a run ends.

``flows/`` wraps these in Prefect tasks and flows; ``extract``, ``export`` and the Python API call
them directly. Layers: core ← scrapers/extractors ← llm/report ← run ← flows.

- :mod:`run.stages`: the stages an item can fail in (an enum, never a string suffix);
- :mod:`run.plan`: ``plan(params, scraped)``: what to read, the caps, and the failure rows;
- :mod:`run.document`: ``process(announcement, ctx)``: download → extract → model items, isolated;
- :mod:`run.enrich`: the model items of announcements and extractions, through the run's service;
- :mod:`run.outcome`: fold → judge → publish (the workbook first, kept whatever fails after it).
"""
