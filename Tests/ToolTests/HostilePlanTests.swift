import Formats
import Foundation
import FrameChainTestKit
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One hostile plan: what is wrong with it, how it is written, and what framechain must answer.
///
/// Every row starts from the valid plan of ``smallPlanText(name:reference:)`` (`plan.json` beside `bottle.png`,
/// and the odd files of ``writeHostileFiles(in:)``), breaks one thing, runs `framechain run --store S plan.json`
/// and expects the exit status, exactly the error line (`$DIR` is the case's directory), and no store created.
struct HostilePlan: Sendable, CustomTestStringConvertible {
    enum Input: Sendable {
        /// The plan file holds exactly these bytes.
        case bytes([UInt8])
        /// The valid plan with one piece of text replaced.
        case replacing(String, with: String)
        /// The valid plan with `initial_reference` set to this path.
        case reference(String)
        /// `run` is given this path (relative to the case's directory) instead of `plan.json`.
        case planPath(String)
    }

    let problem: String
    let input: Input
    let message: String
    var exitCode: Int32 = 2

    var testDescription: String { problem }

    init(_ problem: String, _ input: Input, _ message: String, exit: Int32 = 2) {
        self.problem = problem
        self.input = input
        self.message = message
        self.exitCode = exit
    }

    static func text(_ text: String) -> Input { .bytes(Array(text.utf8)) }
}

/// The table: ≥ 30 plans a user, a script or an attacker might hand to framechain.
///
/// Scenes have no ids (a scene's position is its id) and the graph is fixed by SPEC §1, so duplicate scene ids
/// and cycles cannot be written in a v1 plan; the nearest hostile forms, duplicate JSON keys and deep nesting,
/// are rows here.
let hostilePlans: [HostilePlan] = [
    // The file itself
    HostilePlan("the plan file does not exist", .planPath("missing.json"), "$DIR/missing.json: no such file"),
    HostilePlan("the plan file is a directory", .planPath("adir"), "$DIR/adir: is a directory"),
    HostilePlan(
        "the plan file is a FIFO (reading it would block)", .planPath("afifo"), "$DIR/afifo: not a regular file"),
    HostilePlan(
        "the plan file is a symbolic link loop", .planPath("loop1"),
        "$DIR/loop1: cannot read: Too many levels of symbolic links"),
    HostilePlan(
        "the plan file is empty", HostilePlan.text(""), "$DIR/plan.json:1:1: expected a value, found end of input"),
    // JSON syntax
    HostilePlan(
        "plain text, not JSON", HostilePlan.text("hello"), "$DIR/plan.json:1:1: expected a value, found 'hello'"),
    HostilePlan(
        "JSON cut off in the middle", .bytes(Array(smallPlanText().utf8.prefix(40))),
        "$DIR/plan.json:3:3: unterminated string"),
    HostilePlan(
        "invalid UTF-8 in a prompt",
        .bytes(Array(smallPlanText().utf8).replacing(Array("harbour".utf8), with: [0x68, 0xFF, 0xFE])),
        "$DIR/plan.json:7:30: invalid UTF-8 byte 0xFF"),
    HostilePlan(
        "a byte order mark before the JSON", .bytes([0xEF, 0xBB, 0xBF] + Array(smallPlanText().utf8)),
        "$DIR/plan.json:1:1: a byte order mark (U+FEFF) is not allowed; save the file as UTF-8 without BOM"),
    HostilePlan(
        "an unpaired surrogate escape in a prompt", .replacing("harbour", with: "harb\\ud800our"),
        "$DIR/plan.json:7:33: unpaired high surrogate \\uD800 in string"),
    HostilePlan(
        "NaN, which JSON does not have", .replacing("\"width\": 32", with: "\"width\": NaN"),
        "$DIR/plan.json:4:88: expected a value, found 'NaN'"),
    HostilePlan(
        "a number too large for a double", .replacing("\"width\": 32", with: "\"width\": 1e400"),
        "$DIR/plan.json:4:88: number 1e400 is out of range (larger than the largest double)"),
    HostilePlan(
        "a number with a leading zero", .replacing("\"width\": 32", with: "\"width\": 032"),
        "$DIR/plan.json:4:88: leading zeros are not allowed in numbers"),
    HostilePlan(
        "the same key twice (two names: which one is meant?)",
        .replacing("\"name\": \"small\"", with: "\"name\": \"small\", \"name\": \"other\""),
        "$DIR/plan.json:3:20: duplicate object key \"name\""),
    HostilePlan(
        "100,000 nested arrays (a stack-overflow attempt)", .bytes(Array(repeating: UInt8(ascii: "["), count: 100_000)),
        "$DIR/plan.json:1:513: arrays and objects are nested deeper than 512 levels"),
    // Structure
    HostilePlan(
        "an array at the top level", HostilePlan.text("[]"),
        "$DIR/plan.json: expected a JSON object at the top level, found array"),
    HostilePlan(
        "another format version", .replacing("framechain.plan/v1", with: "framechain.plan/v9"),
        "$DIR/plan.json: format: unsupported plan format \"framechain.plan/v9\"; expected \"framechain.plan/v1\""),
    HostilePlan(
        "an unknown top-level field", .replacing("\"name\": \"small\"", with: "\"name\": \"small\", \"nmae\": 1"),
        "$DIR/plan.json: nmae: unknown field"),
    HostilePlan(
        "an unknown scene field",
        .replacing("\"end\": \"boat far away\"", with: "\"end\": \"boat far away\", \"middle\": \"x\""),
        "$DIR/plan.json: scenes[0].middle: unknown field"),
    HostilePlan(
        "no generator", .replacing("\"generator\"", with: "\"_generator\""), "$DIR/plan.json: _generator: unknown field"
    ),
    HostilePlan(
        "an empty scene list",
        .replacing(#"[{"reference": "harbour at dawn", "start": "boat leaves", "end": "boat far away"}]"#, with: "[]"),
        "$DIR/plan.json: scenes: expected at least one scene, found an empty array"),
    HostilePlan(
        "scenes that are not a list",
        .replacing(#"[{"reference": "harbour at dawn", "start": "boat leaves", "end": "boat far away"}]"#, with: "{}"),
        "$DIR/plan.json: scenes: expected a non-empty array of scenes, found object"),
    HostilePlan(
        "an empty prompt", .replacing("\"boat leaves\"", with: "\"\""),
        "$DIR/plan.json: scenes[0].start: expected a non-empty string, found an empty string"),
    HostilePlan(
        "a prompt of white space only", .replacing("\"boat leaves\"", with: "\"  \\t \""),
        "$DIR/plan.json: scenes[0].start: expected a non-empty string, found only white space"),
    HostilePlan(
        "a prompt that is a number", .replacing("\"boat leaves\"", with: "42"),
        "$DIR/plan.json: scenes[0].start: expected a non-empty string, found number"),
    HostilePlan(
        "a 10 MB prompt", .replacing("boat leaves", with: String(repeating: "x", count: 10_000_000)),
        "$DIR/plan.json: scenes[0].start: the text is 10000000 bytes long; the limit is 100000 bytes"),
    HostilePlan(
        "a NUL character in a note",
        .replacing("\"boat far away\"", with: "\"boat far away\", \"continuity\": \"a\\u0000b\""),
        "$DIR/plan.json: scenes[0].continuity: must not contain a NUL character (U+0000)"),
    HostilePlan(
        "a newline in the storyboard name", .replacing("\"small\"", with: "\"small\\nrun 1 succeeded\""),
        "$DIR/plan.json: name: must not contain control characters (found U+000A)"),
    // Takes and generator values
    HostilePlan(
        "take 0", .replacing("\"boat far away\"", with: "\"boat far away\", \"takes\": {\"start\": 0}"),
        "$DIR/plan.json: scenes[0].takes.start: take must be an integer >= 1, found 0"),
    HostilePlan(
        "a take beyond what a JSON number holds exactly",
        .replacing("\"boat far away\"", with: "\"boat far away\", \"takes\": {\"end\": 1e16}"),
        "$DIR/plan.json: scenes[0].takes.end: take must be at most 9007199254740991, found 10000000000000000"),
    HostilePlan(
        "a take for a role that does not exist",
        .replacing("\"boat far away\"", with: "\"boat far away\", \"takes\": {\"middle\": 2}"),
        "$DIR/plan.json: scenes[0].takes.middle: unknown role; takes are keyed by reference, start, end or clip"),
    HostilePlan(
        "an unknown backend", .replacing("\"procedural\"", with: "\"nope\""),
        "$DIR/plan.json: generator: unknown backend \"nope\" (expected procedural, command, replicate, openai or ffmpeg)"),
    HostilePlan(
        "a 20000-pixel-wide image asked of the procedural model", .replacing("\"width\": 32", with: "\"width\": 20000"),
        "$DIR/plan.json: generator: params.width must be an integer between 8 and 4096"),
    HostilePlan(
        "a negative height", .replacing("\"height\": 32", with: "\"height\": -5"),
        "$DIR/plan.json: generator: params.height must be an integer between 8 and 4096"),
    HostilePlan(
        "a negative simulated latency", .replacing("\"params\"", with: "\"options\": {\"latency_ms\": -1}, \"params\""),
        "$DIR/plan.json: generator: options.latency_ms must be a number between 0 and 86400000"),
    // The initial reference image
    HostilePlan(
        "an empty reference path", .reference(""),
        "$DIR/plan.json: initial_reference: expected a non-empty string, found an empty string"),
    HostilePlan(
        "a reference that does not exist", .reference("gone.png"),
        "$DIR/plan.json: initial_reference: $DIR/gone.png: no such file"),
    HostilePlan(
        "a reference that is a directory", .reference("adir"),
        "$DIR/plan.json: initial_reference: $DIR/adir: is a directory, not an image file"),
    HostilePlan(
        "a reference that is a FIFO", .reference("afifo"),
        "$DIR/plan.json: initial_reference: $DIR/afifo: not a regular file"),
    HostilePlan(
        "a reference that is /dev/zero (endless)", .reference("/dev/zero"),
        "$DIR/plan.json: initial_reference: /dev/zero: not a regular file"),
    HostilePlan(
        "a reference that is a symbolic link loop", .reference("loop1"),
        "$DIR/plan.json: initial_reference: $DIR/loop1: cannot read: Too many levels of symbolic links"),
    HostilePlan(
        "a reference that is text", .reference("notes.txt"),
        "$DIR/plan.json: initial_reference: $DIR/notes.txt: not a PNG, JPEG or WebP image"),
    HostilePlan(
        "a 20000×20000 PNG (1.2 GB of pixels)", .reference("big.png"),
        "$DIR/plan.json: initial_reference: $DIR/big.png: not a usable PNG image: PNG error (too large): 20000x20000 is more than the limit of 67108864 pixels"
    ),
    HostilePlan(
        "a PNG whose header lies about its size", .reference("lie.png"),
        "$DIR/plan.json: initial_reference: $DIR/lie.png: not a usable PNG image: PNG error (corrupt data): the image data ends early (in pass 1, row 1)"
    ),
    HostilePlan(
        "a PNG with a damaged checksum", .reference("crc.png"),
        "$DIR/plan.json: initial_reference: $DIR/crc.png: not a usable PNG image: PNG error (crc mismatch): CRC mismatch in IHDR chunk at offset 8"
    ),
    HostilePlan(
        "a truncated PNG", .reference("trunc.png"),
        "$DIR/plan.json: initial_reference: $DIR/trunc.png: not a usable PNG image: PNG error (truncated): the file ends inside the IDAT chunk at offset 33"
    ),
]

@Suite struct HostilePlanTests {
    @Test(arguments: hostilePlans)
    func aHostilePlanIsRefusedWithAClearErrorAndNothingWritten(_ row: HostilePlan) throws {
        try withTemporaryDirectory { (directory) throws in
            try writeHostileFiles(in: directory)
            var plan = "plan.json"
            switch row.input {
            case .bytes(let bytes): try writeFile(directory + "/plan.json", bytes)
            case .replacing(let old, let new):
                let text = smallPlanText()
                #expect(text.contains(old), "the row must change the valid plan")
                try writeFile(directory + "/plan.json", Array(text.replacingOccurrences(of: old, with: new).utf8))
            case .reference(let path):
                try writeFile(directory + "/plan.json", Array(smallPlanText(reference: path).utf8))
            case .planPath(let path): plan = path
            }
            let result = try runFramechain(
                ["run", "--store", directory + "/S", directory + "/" + plan], scratch: directory)
            #expect(result.status == row.exitCode)
            #expect(result.error == "Error: " + row.message.replacingOccurrences(of: "$DIR", with: directory) + "\n")
            #expect(result.output.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: directory + "/S"), "a store was created")
        }
    }

    @Test func theTableHasAtLeastThirtyRows() {
        #expect(hostilePlans.count >= 30)
    }

    @Test func aOneByOnePNGIsAValidReference() throws {
        try withTemporaryDirectory { (directory) throws in
            try writeHostileFiles(in: directory)
            try writeFile(directory + "/plan.json", Array(smallPlanText(reference: "one.png").utf8))
            let result = try runFramechain(
                ["run", "--store", directory + "/S", directory + "/plan.json"], scratch: directory)
            #expect(result.status == 0, "\(result.error)")
            #expect(try runFramechain(["verify", "--store", directory + "/S"], scratch: directory).status == 0)
        }
    }
}

/// The odd files the table's rows point at: a directory, a FIFO, a symbolic link loop, a text file, and PNGs that
/// are tiny, huge, lying, damaged or cut short.
func writeHostileFiles(in directory: String) throws {
    try writeFile(directory + "/bottle.png", try readFile(fixturesDirectory() + "/images/bottle.png"))
    try FileManager.default.createDirectory(atPath: directory + "/adir", withIntermediateDirectories: false)
    #expect(mkfifo(directory + "/afifo", 0o600) == 0)
    #expect(symlink("loop2", directory + "/loop1") == 0)
    #expect(symlink("loop1", directory + "/loop2") == 0)
    try writeFile(directory + "/notes.txt", Array("not an image\n".utf8))
    let small = PNGEncoder.encode(TestSupport.sampleImage(width: 8, height: 8))
    try writeFile(directory + "/one.png", PNGEncoder.encode(TestSupport.sampleImage(width: 1, height: 1)))
    try writeFile(
        directory + "/big.png",
        withHeader(PNGEncoder.encode(TestSupport.sampleImage(width: 1, height: 1)), width: 20000, height: 20000))
    try writeFile(directory + "/lie.png", withHeader(small, width: 100, height: 100))
    var damaged = small
    damaged[29] ^= 0xFF  // the IHDR chunk's CRC
    try writeFile(directory + "/crc.png", damaged)
    try writeFile(
        directory + "/trunc.png", Array(PNGEncoder.encode(TestSupport.sampleImage(width: 64, height: 64)).prefix(60)))
}

/// `png` with its IHDR width and height replaced and the chunk's CRC recomputed, so only the size lies.
private func withHeader(_ png: [UInt8], width: UInt32, height: UInt32) -> [UInt8] {
    var bytes = png
    for (offset, value) in [(16, width), (20, height)] {
        for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(index))) }
    }
    let crc = crc32(Array(bytes[12..<29]))  // chunk type and data
    for index in 0..<4 { bytes[29 + index] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(index))) }
    return bytes
}

/// CRC-32 (ISO-HDLC), as PNG chunks use.
private func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}
