import Foundation
import FrameChainTestKit

/// A valid one-scene procedural plan (tiny images, no latency) with its initial reference `bottle.png`, written
/// to `directory/plan.json`; returns the plan's path.
func writeSmallPlan(in directory: String, name: String = "small") throws -> String {
    try writeFile(directory + "/plan.json", Array(smallPlanText(name: name).utf8))
    try writeFile(directory + "/bottle.png", try readFile(fixturesDirectory() + "/images/bottle.png"))
    return directory + "/plan.json"
}

/// The text of the plan ``writeSmallPlan(in:name:)`` writes.
func smallPlanText(name: String = "small", reference: String = "bottle.png") -> String {
    """
    {
      "format": "framechain.plan/v1",
      "name": "\(name)",
      "generator": {"backend": "procedural", "model": "procedural-v1", "params": {"width": 32, "height": 32}},
      "initial_reference": "\(reference)",
      "consistency": {"subject_description": "a red fishing boat"},
      "scenes": [{"reference": "harbour at dawn", "start": "boat leaves", "end": "boat far away"}]
    }
    """
}
