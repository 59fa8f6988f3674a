#!/bin/sh
# Refresh docs/public-form.png, docs/public-status.png and docs/public-answer.png (shown in README)
# by running the end-to-end test in headless Chromium with the screenshots written to docs/.
set -e
cd "$(dirname "$0")/.."
PAKN_SCREENSHOTS=docs .venv/bin/python -m pytest -q -m browser tests/test_public_browser.py
