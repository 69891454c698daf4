#!/usr/bin/env python3
"""Container health check: ``healthcheck [/path]`` exits 0 when http://127.0.0.1:$PORT/path answers 200."""

import os
import sys
import urllib.request

path = sys.argv[1] if len(sys.argv) > 1 else "/health"
url = f"http://127.0.0.1:{os.environ.get('PORT', '8080')}{path}"
try:
    with urllib.request.urlopen(url, timeout=3) as answer:
        sys.exit(0 if answer.status == 200 else 1)
except Exception as exc:
    print(f"healthcheck {url}: {exc}", file=sys.stderr)
    sys.exit(1)
