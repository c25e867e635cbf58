#!/usr/bin/env bash
# tabula-py (the optional second table engine) needs a Java runtime. Install it with apt when it is
# missing and we may; otherwise say so: the pipeline runs without tabula (pdfplumber only).
set -u
if command -v java >/dev/null 2>&1; then exit 0; fi
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo -n"
  if [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; then
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq default-jre-headless >/dev/null \
      && exit 0
  fi
fi
echo "warning: no Java runtime; tabula-py (optional second engine) is disabled, pdfplumber still runs" >&2
exit 0
