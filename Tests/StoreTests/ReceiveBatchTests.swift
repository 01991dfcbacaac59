import FrameChainTestKit
import Testing

@testable import Store

/// `Store.receive` of what a remote delivered: a batch of at least ``Store/syncfsBatchSize`` blobs is staged without
/// per-file fsyncs and made durable with `syncfs(2)` (Linux); a smaller one fsyncs each file. Both paths must store
/// the same things, all or nothing.
@Suite struct ReceiveBatchTests {
    private func received(_ count: Int, tag: String) -> [ReceivedGeneration] {
        (0..<count).map { index in
            let bytes = Array("\(tag) output \(index)".utf8)
            let request = "{\"n\":\(index),\"tag\":\"\(tag)\"}"
            return ReceivedGeneration(
                bytes: bytes,
                generation: GenerationRecord(
                    key: SHA256.hash(data: Array(request.utf8)), request: request, output: SHA256.hash(data: bytes),
                    backend: "procedural", model: "m", createdAt: "2026-01-01T00:00:00.000Z", durationMilliseconds: 1,
                    inputs: [], origin: GenerationRecord.remoteOrigin))
        }
    }

    @Test(arguments: [3, Store.syncfsBatchSize, 40])
    func everyBlobAndGenerationOfABatchIsStored(count: Int) throws {
        try withTemporaryDirectory { directory in
            let store = try Store(directory: directory + "/store")
            let batch = received(count, tag: "t\(count)")
            let outputs = try store.receive(batch)
            #expect(outputs.count == count)
            for item in batch {
                #expect(outputs[item.generation.key] == item.generation.output)
                #expect(try store.contents(of: item.generation.output) == item.bytes)
                #expect(try store.generation(for: item.generation.key)?.origin == GenerationRecord.remoteOrigin)
            }
            #expect(try FileSystem.contentsOfDirectory(directory + "/store/tmp").isEmpty)
        }
    }

    @Test func aLargeBatchWithOneWrongBlobStoresNothing() throws {
        try withTemporaryDirectory { directory in
            let store = try Store(directory: directory + "/store")
            var batch = received(Store.syncfsBatchSize + 4, tag: "bad")
            let victim = batch[7]
            batch[7] = ReceivedGeneration(bytes: Array("something else".utf8), generation: victim.generation)
            let error = #expect(throws: StoreError.self) { try store.receive(batch) }
            #expect(error?.code == .integrity)
            for item in batch { #expect(try !store.contains(item.generation.output)) }
            #expect(try store.generation(for: victim.generation.key) == nil)
            // No staging file is left behind, and no blob file appeared.
            #expect(try FileSystem.contentsOfDirectory(directory + "/store/tmp").isEmpty)
            #expect(try FileSystem.contentsOfDirectory(directory + "/store/blobs/sha256").isEmpty)
        }
    }
}
