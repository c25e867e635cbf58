"""A fake exchange for tests, the offline demo (``make run``) and the benchmarks.

``replay.server`` serves the recorded exchange responses and the corpus PDFs on 127.0.0.1;
``replay.pdfrender`` renders test PDFs (ruled tables across pages, headings, bookmarks). Nothing in
the pipeline imports this package: it is tooling around it, as the recorded cassettes of
edgartools are.
"""

from replay.server import DEFAULT_CORPUS, CatalogueEntry, ReplayServer, Scripted, corpus_catalogue

__all__ = ["DEFAULT_CORPUS", "CatalogueEntry", "ReplayServer", "Scripted", "corpus_catalogue"]
