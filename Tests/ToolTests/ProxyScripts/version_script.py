#!/usr/bin/env python3
"""A pinned model version through the official replicate client: `replicate.run("owner/name:<id>")` creates the
prediction by version and then reads the model version (GET /v1/models/owner/name/versions/<id>).

Usage: version_script.py REF PROMPT OUT.png. On an API error prints `ERROR: <message>` and exits 3.
"""

import sys

import replicate

try:
    output = replicate.run(sys.argv[1], input={"prompt": sys.argv[2], "output_format": "png"})
    with open(sys.argv[3], "wb") as handle:
        handle.write(output.read())
except replicate.exceptions.ReplicateError as error:
    print("ERROR: %s" % error, flush=True)
    sys.exit(3)
