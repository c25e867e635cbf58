"""PDF extraction: a fast pypdfium2 text pass to find target pages, then pdfplumber (and optionally
tabula-py) on those pages only; pure normalisers turn tables and text into typed records."""
