#!/usr/bin/env python3
"""Writes the example storyboard (fixtures/plans/perfume-ad.json) with the slow command backend
(scripts/slow-generator.py) in place of its generator: slow-plan.py OUT.json [NAME [PROMPT-SUFFIX]].
The initial reference is copied next to OUT.json. NAME renames the plan; PROMPT-SUFFIX is appended to every
prompt (two different suffixes give two plans with no key in common)."""
import json, os, shutil, sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
out = os.path.abspath(sys.argv[1])
plan = json.load(open(root + "/fixtures/plans/perfume-ad.json"))
plan["generator"] = {"backend": "command", "model": "slow-generator", "params": {"width": 48, "height": 64},
                     "options": {"command": ["python3", here + "/slow-generator.py"], "retries": 0}}
if len(sys.argv) > 2:
    plan["name"] = sys.argv[2]
if len(sys.argv) > 3:
    for scene in plan["scenes"]:
        for field in ("reference", "start", "end"):
            scene[field] += " " + sys.argv[3]
os.makedirs(os.path.dirname(out), exist_ok=True)
shutil.copyfile(root + "/fixtures/images/bottle.png", os.path.dirname(out) + "/bottle.png")
plan["initial_reference"] = "bottle.png"
with open(out, "w") as f:
    json.dump(plan, f, indent=2)
