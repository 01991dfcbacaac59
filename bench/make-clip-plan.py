#!/usr/bin/env python3
"""Writes a plan of N scenes on the procedural generator, with or without a clip per scene (the offline ffmpeg
crossfade, tiny and short so that the cold run is quick): make-clip-plan.py N OUT.json clips|frames"""
import json, sys

scenes, out, kind = int(sys.argv[1]), sys.argv[2], sys.argv[3]
plan = {
    "format": "framechain.plan/v1",
    "name": "bench-%s-%d" % (kind, scenes),
    "generator": {"backend": "procedural", "model": "procedural-v1", "params": {"width": 32, "height": 48}},
    "consistency": {"subject_description": "a faceted glass perfume bottle with a gold cap",
                    "style": "cinematic product photography"},
    "scenes": [{"reference": "Reference shot %d" % i, "start": "Start frame %d" % i, "end": "End frame %d" % i,
                "motion": "Slow push-in %d" % i} for i in range(1, scenes + 1)],
}
if kind == "clips":
    plan["clips"] = {"generator": {"backend": "ffmpeg", "model": "crossfade-v1",
                                   "params": {"duration": 0.5, "fps": 4, "width": 32, "height": 48}}}
with open(out, "w") as f:
    json.dump(plan, f, indent=2)
