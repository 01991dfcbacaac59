import Testing

@testable import Store

@Suite struct SHA256Tests {
    static let vectors: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ]

    @Test(arguments: vectors)
    func knownVectors(message: String, hex: String) {
        #expect(SHA256.hash(data: Array(message.utf8)).hexString == hex)
    }

    @Test func oneMillionA() {
        var hasher = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(data: chunk) }
        #expect(hasher.finalize().hexString == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func streamingEqualsOneShot() {
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var hasher = SHA256()
        var offset = 0
        var step = 1
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            hasher.update(data: bytes[offset..<end])
            offset = end
            step = step * 3 + 1
        }
        #expect(hasher.finalize() == SHA256.hash(data: bytes))
    }

    @Test func finalizeIsNonMutatingAndCopiesDiverge() {
        var original = SHA256()
        original.update(data: Array("ab".utf8))
        var copy = original
        _ = original.finalize()
        original.update(data: Array("c".utf8))
        copy.update(data: Array("x".utf8))
        #expect(original.finalize() == SHA256.hash(data: Array("abc".utf8)))
        #expect(copy.finalize() == SHA256.hash(data: Array("abx".utf8)))
        // Finalizing twice gives the same answer.
        #expect(copy.finalize() == copy.finalize())
    }
}

@Suite struct DigestTests {
    @Test func textFormRoundTrips() throws {
        let digest = SHA256.hash(data: Array("abc".utf8))
        #expect(digest.description == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest(parsing: digest.description) == digest)
    }

    @Test(arguments: [
        "", "sha256:", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad ",
        "sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "sha256:../../../../etc/passwd/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ])
    func malformedTextIsRejected(text: String) {
        #expect(Digest(parsing: text) == nil)
    }
}
