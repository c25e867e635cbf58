"""The one Settings object, read from the environment (prefix ``PP_``) or a ``.env`` file.

Pointing the pipeline at the live sites or at the local replay server is a matter of base URLs only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PP_", env_file=".env", extra="ignore")

    # --- storage ---------------------------------------------------------------------------------
    #: downloaded PDFs, the manifest, the cumulative store, the model cache and the text index
    data_dir: Path = Path("data")
    #: where workbooks and their CSV and parquet folders are written
    outputs_dir: Path = Path("outputs")

    # --- exchange endpoints (live by default; the replay server overrides them) ----------------
    #: cninfo (巨潮资讯): the announcement query, stock lists and search box
    cninfo_base_url: str = "https://www.cninfo.com.cn"  # current references use https
    #: cninfo's PDF host
    cninfo_static_url: str = "https://static.cninfo.com.cn"
    #: the Shanghai Stock Exchange's query host
    sse_query_url: str = "https://query.sse.com.cn"
    #: the SSE's PDF host
    sse_static_url: str = "https://static.sse.com.cn"
    #: the Beijing Stock Exchange (北交所) site: its announcement and prospectus-zone queries and PDFs
    bse_base_url: str = "https://www.bse.cn"
    #: the NEEQ (新三板) site: its announcement query and PDFs
    neeq_base_url: str = "https://www.neeq.com.cn"
    #: the Shenzhen Stock Exchange's site
    szse_base_url: str = "https://www.szse.cn"
    #: the SZSE's PDF host
    szse_static_url: str = "https://disc.static.szse.cn"

    # --- HTTP behaviour ----------------------------------------------------------------------------
    #: the User-Agent every request sends (a browser's: the exchanges refuse unknown clients)
    user_agent: str = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
    )
    #: seconds to open a connection
    connect_timeout_s: float = 10.0
    #: seconds between two reads of a response before it is a timeout
    read_timeout_s: float = 60.0
    min_interval_s: float = Field(default=1.0, description="polite gap between two requests to one host")
    #: per-host overrides, e.g. PP_HOST_MIN_INTERVAL_S='{"www.cninfo.com.cn": 2.0}'; cninfo throttles
    #: clients faster than about one query every 3 s (reported by its users), hence the default
    host_min_interval_s: dict[str, float] = Field(default_factory=lambda: {"www.cninfo.com.cn": 3.0})
    #: retries of a request that failed with 429, 5xx or a dropped connection
    max_retries: int = 5
    #: first back-off before a retry (full jitter, doubling each time)
    backoff_base_s: float = 1.0
    #: longest back-off before a retry
    backoff_max_s: float = 60.0
    #: rows asked per page (cninfo serves at most 30; more is refused)
    page_size: int = 30
    #: cninfo stops serving rows past roughly 100 pages; deeper date ranges are split in halves.
    cninfo_max_pages: int = 100

    # --- limits on what a server can make us hold ------------------------------------------------------
    #: a PDF larger than this is refused (at once when Content-Length says so)
    max_pdf_bytes: int = 200 * 1024 * 1024
    #: a download's total deadline: its size at this rate, with a floor (a trickling server fails)
    download_min_rate_bps: float = 20 * 1024
    #: the shortest total deadline of a download
    download_floor_s: float = 60.0
    #: a JSON or JSONP answer larger than this (decompressed) is refused
    max_json_bytes: int = 20 * 1024 * 1024
    #: a query's total deadline, every byte included (the read timeout is per read)
    request_deadline_s: float = 120.0
    #: at most this many requests for one query (pagination and date splitting included)
    max_requests_per_query: int = 400

    # --- extraction --------------------------------------------------------------------------------
    #: a TOML file of table recipes that adds to (or replaces by name) the built-in ones
    recipes_file: Path | None = None
    #: also run tabula-py (needs Java) on the target pages, as a second table engine
    tabula_enabled: bool = False
    #: which engine's tables the table recipes read: pdfplumber (default) or tabula (the users' own
    #: scripts use tabula; it needs Java and runs on the recipes' candidate pages only)
    recipe_engine: Literal["pdfplumber", "tabula"] = "pdfplumber"
    #: documents in flight (the thread runner's threads; with Dask, worker processes); 0 = one per
    #: extraction process plus PP_LLM_CONCURRENCY (Dask: one worker per CPU)
    max_workers: int = 0
    #: worker processes for extraction (0 = one per CPU; 1 = in the task's thread, no processes)
    extract_processes: int = 0
    #: run the extraction on a Dask cluster instead of the run's own processes (``--task-runner dask``):
    #: ``dask_address`` an existing scheduler, else a local cluster of ``extract_processes`` workers
    extract_on_dask: bool = False
    #: an existing Dask scheduler for the extraction (tcp://host:8786); empty = a local cluster
    dask_address: str | None = None
    #: at most this many documents downloaded and processed per run (0 = no limit)
    max_documents: int = 0

    # --- LLM -----------------------------------------------------------------------------------------
    #: the OpenAI-compatible endpoint (empty = OpenAI's)
    llm_base_url: str | None = None
    #: the model name sent to the endpoint
    llm_model: str = "gpt-4o-mini"
    #: the endpoint's key; without one the labelled offline backend runs
    llm_api_key: SecretStr | None = None
    #: "json_schema" (OpenAI, vLLM) or "json_object" (DeepSeek, older Qwen); json_schema falls back
    #: to json_object automatically when the provider rejects it.
    llm_response_format: str = "json_schema"
    #: re-asks of a model whose answer does not validate, with the validation error
    llm_max_reasks: int = 2
    #: the answer's token budget (a task may ask for more: competitor lists, groups)
    llm_max_tokens: int = 1024
    #: seconds to wait for one model answer
    llm_timeout_s: float = 60.0
    #: the openai client's own retries of 429 and 5xx
    llm_max_retries: int = 3
    #: document text sent in one item is cut to this many characters
    llm_max_input_chars: int = 6000
    #: use the offline backend even when a key is set (--no-llm)
    llm_offline: bool = False
    #: endpoint failures in a row after which the rest of the run's LLM items are skipped (0 = never)
    llm_breaker_threshold: int = 3
    #: model calls in flight at once, and the endpoint's requests/tokens per minute (0 = no limit)
    llm_concurrency: int = 4
    #: how far the in-flight limit may grow while the endpoint answers without 429s or timeouts (it
    #: halves on one); 0 = it stays at PP_LLM_CONCURRENCY
    llm_concurrency_max: int = 0
    #: with --llm-batch: seconds between two reads of a submitted batch's state
    llm_batch_poll_s: float = 30.0
    #: with --llm-batch: how long to wait for a batch (the Batch API's window is 24 h) before the rest is
    #: asked online
    llm_batch_deadline_s: float = 24 * 3600
    #: the endpoint's requests per minute, shared by every call of the run (0 = no limit)
    llm_rpm: int = 0
    #: the endpoint's tokens per minute, shared by every call of the run (0 = no limit)
    llm_tpm: int = 0

    # --- deadlines: a stalled endpoint fails fast and clearly -----------------------------------------
    #: the whole run (Prefect flow timeout)
    run_timeout_s: float = 4 * 3600
    #: one exchange query with all its pages, one download, one document's extraction, the LLM stage
    scrape_timeout_s: float = 900
    #: one document's download, past which it fails (DeadlineExceededError)
    download_timeout_s: float = 600
    #: one document's extraction, in or out of the worker pool
    extract_timeout_s: float = 600
    #: the announcements' LLM task
    llm_stage_timeout_s: float = 3600

    # --- flows -----------------------------------------------------------------------------------------
    #: when the daily flow runs (cron, in PP_TIMEZONE)
    daily_cron: str = "30 18 * * *"
    #: the schedule's and the outputs' time zone
    timezone: str = "Asia/Shanghai"

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / "manifest.sqlite"

    @property
    def store_path(self) -> Path:
        """The cumulative store of every run's results (core.store): data, not a cache."""
        return self.data_dir / "store.sqlite"

    @property
    def pdf_dir(self) -> Path:
        return self.data_dir / "pdf"

    @property
    def llm_cache_path(self) -> Path:
        return self.data_dir / "llm_cache.sqlite"

    @property
    def llm_configured(self) -> bool:
        return not self.llm_offline and self.llm_api_key is not None and bool(self.llm_api_key.get_secret_value())


_current: Settings | None = None


def current_settings() -> Settings:
    """The settings a run uses: those installed by :func:`using_settings` (the CLI, the Python API),
    else read from the environment and ``.env``."""
    return _current if _current is not None else Settings()


@contextlib.contextmanager
def using_settings(settings: Settings) -> Iterator[Settings]:
    """Run with these settings, passed as an object: nothing is written to ``os.environ``."""
    global _current
    previous, _current = _current, settings
    try:
        yield settings
    finally:
        _current = previous
