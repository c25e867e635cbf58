"""Exchange adapters (cninfo, SSE, SZSE, BSE, NEEQ), the HTTP session factory and the downloader."""
