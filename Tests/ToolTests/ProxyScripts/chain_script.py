#!/usr/bin/env python3
"""A 4-scene chained pipeline written as the official clients' users write it, run against `framechain serve`.

Usage: chain_script.py PROMPTS.json INITIAL.png OUT_DIR

The environment points the clients at the proxy: REPLICATE_BASE_URL, REPLICATE_API_TOKEN, OPENAI_BASE_URL,
OPENAI_API_KEY. Per scene: a reference frame from Replicate's google/nano-banana fed with the previous reference
(scene 1: the initial image uploaded as a file; scene 2: the previous output uploaded from memory; later scenes:
the previous output's data URI), a start frame from OpenAI's gpt-image-1 edit of the reference (one `image` part),
and an end frame from an edit of the start frame (an `image[]` list). 12 calls; every output is the next input.
Writes ref_N.png, start_N.png, end_N.png into OUT_DIR. On an API error prints `ERROR: <message>` and exits 3.
"""

import base64
import io
import json
import os
import sys

import openai
import replicate


def main():
    prompts = json.load(open(sys.argv[1]))
    initial, out = sys.argv[2], sys.argv[3]
    os.makedirs(out, exist_ok=True)
    replicate_client = replicate.Client()
    openai_client = openai.OpenAI(max_retries=0)
    previous = None
    previous_bytes = None
    for number, scene in enumerate(prompts["scenes"], 1):
        if previous is None:
            image = open(initial, "rb")
        elif number == 2:
            image = io.BytesIO(previous_bytes)
        else:
            image = previous.url
        reference = replicate_client.run(
            "google/nano-banana",
            input={"prompt": scene["ref"], "image_input": [image], "output_format": "png"})
        reference_bytes = reference.read()
        start = openai_client.images.edit(
            model="gpt-image-1", image=("ref%d.png" % number, reference_bytes, "image/png"),
            prompt=scene["start"], size="1024x1024")
        start_bytes = base64.b64decode(start.data[0].b64_json)
        end = openai_client.images.edit(
            model="gpt-image-1", image=[("start.png", start_bytes, "image/png")], prompt=scene["end"])
        end_bytes = base64.b64decode(end.data[0].b64_json)
        for name, data in (("ref", reference_bytes), ("start", start_bytes), ("end", end_bytes)):
            with open(os.path.join(out, "%s_%d.png" % (name, number)), "wb") as handle:
                handle.write(data)
        previous, previous_bytes = reference, reference_bytes


if __name__ == "__main__":
    try:
        main()
    except (replicate.exceptions.ReplicateError, openai.APIError) as error:
        print("ERROR: %s" % error, flush=True)
        sys.exit(3)
