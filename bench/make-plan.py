#!/usr/bin/env python3
"""Writes a plan of N scenes using bench/png-generator.py: make-plan.py N OUT.json [WIDTH HEIGHT]."""
import json, os, sys

scenes, out = int(sys.argv[1]), sys.argv[2]
width, height = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (96, 96)
here = os.path.dirname(os.path.abspath(__file__))
directory = os.path.dirname(os.path.abspath(out))
os.makedirs(directory + "/images", exist_ok=True)
with open(directory + "/images/initial.png", "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + b"initial image placeholder")
plan = {
    "format": "framechain.plan/v1",
    "name": "bench-%d" % scenes,
    "generator": {"backend": "command", "model": "png-generator", "params": {"width": width, "height": height},
                  "options": {"command": ["python3", here + "/png-generator.py"]}},
    "initial_reference": "images/initial.png",
    "consistency": {"subject_description": "a faceted glass perfume bottle with a gold cap",
                    "style": "cinematic product photography"},
    "scenes": [{"reference": "Reference shot %d" % i, "start": "Start frame %d" % i, "end": "End frame %d <b>" % i}
               for i in range(1, scenes + 1)],
}
with open(out, "w") as f:
    json.dump(plan, f, indent=2)
