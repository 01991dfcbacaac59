import Foundation
import FrameChainTestKit


/// Writes `bytes` to `path`, creating missing parent directories.
func writeFile(_ bytes: [UInt8], to path: String) throws {
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url)
}

/// Writes `text` as UTF-8 to `path`, creating missing parent directories.
func writeFile(_ text: String, to path: String) throws {
    try writeFile(Array(text.utf8), to: path)
}

/// The first bytes of a PNG file: enough for content sniffing.
let pngSignature: [UInt8] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
]

/// The two-scene perfume plan used by the plan, prompt and request tests and by `docs/KEYS.md`.
let perfumePlanText = """
    {
      "format": "framechain.plan/v1",
      "name": "perfume-ad",
      "generator": {
        "backend": "procedural",
        "model": "procedural-v1",
        "params": { "width": 288, "height": 512 },
        "options": { "latency_ms": 0 }
      },
      "initial_reference": "images/bottle.png",
      "consistency": {
        "subject_description": "a faceted glass perfume bottle with a gold cap",
        "style": "cinematic product photography",
        "color_palette": "deep navy, gold accents",
        "lighting": "low-key, single rim light",
        "composition": "centered subject, shallow depth of field",
        "mood": "mysterious, luxurious"
      },
      "scenes": [
        {
          "reference": "The bottle standing on wet black sand at night",
          "start": "Close-up of the bottle, a wave approaching",
          "end": "The wave washes over the bottle",
          "guideline": "The cap catches the only highlight"
        },
        {
          "reference": "The bottle on a marble ledge in a moonlit palace",
          "start": "Wide shot of the ledge, curtains moving",
          "end": "Slow push-in until the bottle fills the frame",
          "continuity": "Same bottle, still wet from the sea",
          "guideline": "Keep the gold cap facing the camera",
          "transition": "Match cut from the wave to the billowing curtain",
          "takes": { "start": 2 }
        }
      ]
    }
    """
