import Foundation
import FrameChainTestKit
import Testing

@testable import Store

/// Two stores sharing a real nginx WebDAV remote (docs/REMOTE.md), through the real `framechain` binary.
@Suite(.serialized, .enabled(if: NginxServer.shouldRun, "nginx is not installed (CI=true runs these anyway)"))
struct RemoteCacheTests {
    static let bearer = "fc-test-token-7f3a9c2e5b1d"

    @Test func twoStoresShareGenerationsThroughTheRemote() throws {
        try withTemporaryDirectory { directory in
            let server = try NginxServer(requiredAuthorization: "Bearer \(Self.bearer)")
            let scenario = try RemoteScenario(directory: directory, server: server, token: Self.bearer)
            let storeA = directory + "/A"
            let storeB = directory + "/B"

            // A runs the example storyboard cold: 12 links generated, each uploaded after its commit.
            let planA = try scenario.plan("planA", command: scenario.painter)
            let coldA = try scenario.framechain([
                "run", planA, "--store", storeA, "--out", directory + "/outA", "--json",
            ])
            #expect(coldA.status == 0, "\(coldA.error)")
            #expect(jsonLinks(try jsonObject(coldA.output)).allSatisfy { $0["outcome"] as? String == "generated" })
            #expect(scenario.remoteFiles("ac").count == 12)
            #expect(scenario.remoteFiles("cas").count == 12)

            // B's status sees all 12 on the remote (predicting the whole chain from the records), downloads nothing.
            let planB = try scenario.plan("planB", command: RemoteScenario.failing)
            let predicted = try scenario.framechain(["status", planB, "--store", storeB, "--json"])
            #expect(predicted.status == 0, "\(predicted.error)")
            let predictedLinks = jsonLinks(try jsonObject(predicted.output))
            #expect(predictedLinks.count == 12)
            #expect(predictedLinks.allSatisfy { $0["state"] as? String == "cached" && $0["remote"] as? Bool == true })
            #expect(!FileManager.default.fileExists(atPath: storeB))
            let text = try scenario.framechain(["status", planB, "--store", storeB])
            #expect(text.outputText.contains("start/4   cached (remote)"))
            #expect(text.outputText.contains("12 cached (12 on the remote cache)"))

            // B runs with a generator that fails on any call: all 12 are remote hits, byte-identical to A's.
            let warmB = try scenario.framechain([
                "run", planB, "--store", storeB, "--out", directory + "/outB", "--json",
            ])
            #expect(warmB.status == 0, "\(warmB.error)")
            let warmLinks = jsonLinks(try jsonObject(warmB.output))
            #expect(warmLinks.count == 12)
            #expect(warmLinks.allSatisfy { $0["outcome"] as? String == "hit" && $0["remote"] as? Bool == true })
            let imagesA = try scenario.images(in: directory + "/outA")
            #expect(imagesA.count == 12)
            #expect(try scenario.images(in: directory + "/outB") == imagesA)
            #expect(warmB.error.isEmpty, "no warning expected: \(warmB.error)")
            // B recorded the generations as fetched from the remote; without the remote they are plain local hits.
            let local = try scenario.framechain(["status", planB, "--store", storeB, "--json"], remote: false)
            #expect(
                jsonLinks(try jsonObject(local.output)).allSatisfy {
                    $0["state"] as? String == "cached" && $0["remote"] as? Bool == false
                        && $0["origin"] as? String == "remote"
                })
            let verify = try scenario.framechain(["verify", "--store", storeB], remote: false)
            #expect(verify.status == 0, "\(verify.outputText)\(verify.error)")

            // B edits one start prompt: only the invalidated links are generated, and uploaded.
            let edit: (inout [[String: Any]]) -> Void = { $0[1]["start"] = "A single drop of gold falling instead." }
            let editedB = try scenario.plan("editedB", command: scenario.painter, edit: edit)
            let partial = try scenario.framechain(["run", editedB, "--store", storeB, "--json"])
            #expect(partial.status == 0, "\(partial.error)")
            let generated = jsonLinks(try jsonObject(partial.output)).filter { $0["outcome"] as? String == "generated" }
            #expect(generated.compactMap { $0["node"] as? String } == ["start/2", "start/3", "start/4"])
            #expect(scenario.remoteFiles("ac").count == 15)
            #expect(scenario.remoteFiles("cas").count == 15)

            // A then gets them from the remote, without generating anything.
            let editedA = try scenario.plan("editedA", command: RemoteScenario.failing, edit: edit)
            let catchUp = try scenario.framechain(["run", editedA, "--store", storeA, "--json"])
            #expect(catchUp.status == 0, "\(catchUp.error)")
            let catchUpLinks = jsonLinks(try jsonObject(catchUp.output))
            #expect(catchUpLinks.allSatisfy { $0["outcome"] as? String == "hit" })
            #expect(
                catchUpLinks.filter { $0["remote"] as? Bool == true }.compactMap { $0["node"] as? String }
                    == ["start/2", "start/3", "start/4"])

            // The token is nowhere: not in either store, the remote's files, nginx's logs or anything printed.
            server.stop()
            #expect(try scenario.placesHoldingToken([storeA, storeB, server.root] + server.logFiles) == [])
        }
    }

    @Test func aCorruptRemoteBlobIsRefusedAndTheRunRegeneratesIt() throws {
        try withTemporaryDirectory { directory in
            // Basic auth this time: the token is user:password.
            let credential = "framechain:pw-91d2c7e4a8"
            let server = try NginxServer(
                requiredAuthorization: "Basic " + Data(credential.utf8).base64EncodedString())
            let scenario = try RemoteScenario(directory: directory, server: server, token: credential)
            let storeA = directory + "/A"
            let storeB = directory + "/B"
            let plan = try scenario.plan("plan", command: scenario.painter)
            let cold = try scenario.framechain(["run", plan, "--store", storeA, "--json"])
            #expect(cold.status == 0, "\(cold.error)")
            let document = try jsonObject(cold.output)
            let runID = try #require(document["run"] as? String)
            let start2 = try #require(jsonLinks(document).first { $0["node"] as? String == "start/2" })
            let start2Text = try #require(start2["output"] as? String)
            let start2Output = try #require(Digest(parsing: start2Text))

            // push sends what the run did not (its plan and initial image); a second push sends nothing.
            let push = try scenario.framechain(["push", runID, "--store", storeA])
            #expect(push.status == 0, "\(push.error)")
            #expect(push.outputText.contains("2 blob(s) and 0 action record(s) sent"), "\(push.outputText)")
            let again = try scenario.framechain(["push", "latest", "--store", storeA])
            #expect(again.outputText.contains("0 blob(s) and 0 action record(s) sent, 26 already on the remote"))

            // The server's copy of start/2's output is corrupted.
            let blobPath = server.root + "/cache/cas/" + start2Output.hexString
            try Array("not the image you are looking for".utf8).write(to: blobPath)

            let missing = try scenario.framechain(["pull", "20990101-000000-000000", "--store", storeB])
            #expect(missing.status == 2)
            #expect(missing.error.contains("the remote cache has no run \"20990101-000000-000000\""))
            let before = try snapshot(of: storeB)
            let refused = try scenario.framechain(["pull", runID, "--store", storeB])
            #expect(refused.status == 4)
            #expect(refused.error.contains("the remote's blob \(start2Output) (the output of start/2) was rejected"))
            #expect(try snapshot(of: storeB) == before)

            // run refuses the blob too, regenerates start/2 (the painter makes the same image again), takes the
            // other 11 from the remote, and uploads start/2 over the corrupt copy.
            let run = try scenario.framechain(["run", plan, "--store", storeB, "--json"])
            #expect(run.status == 0, "\(run.error)")
            let links = jsonLinks(try jsonObject(run.output))
            #expect(
                links.filter { $0["outcome"] as? String == "generated" }.compactMap { $0["node"] as? String } == [
                    "start/2"
                ])
            #expect(links.filter { $0["remote"] as? Bool == true }.count == 11)
            #expect(run.error.contains("the remote's blob \(start2Output)"))
            #expect(run.error.contains("was rejected: its bytes hash to"))
            #expect(try FileHasher.hash(fileAt: blobPath).digest == start2Output)

            // Now the pull succeeds and the run replays from B's store alone.
            let pulled = try scenario.framechain(["pull", runID, "--store", storeB])
            #expect(pulled.status == 0, "\(pulled.error)")
            let replay = try scenario.framechain(
                ["replay", runID, "--store", storeB, "--out", directory + "/replayed"], remote: false)
            #expect(replay.status == 0, "\(replay.error)")
            #expect(try scenario.images(in: directory + "/replayed").count == 12)

            // A blob lost from B's store: replay alone misses it (exit 3); replay --remote fetches it, verified.
            let lost = storeB + "/blobs/sha256/\(start2Output.hexString.prefix(2))/\(start2Output.hexString)"
            try FileManager.default.removeItem(atPath: lost)
            let incomplete = try scenario.framechain(["replay", runID, "--store", storeB], remote: false)
            #expect(incomplete.status == 3)
            let healed = try scenario.framechain(["replay", runID, "--store", storeB])
            #expect(healed.status == 0, "\(healed.error)")
            #expect(healed.error.contains("fetched 1 blob(s) from \(server.baseURL)"))
            #expect(try FileHasher.hash(fileAt: lost).digest == start2Output)
            server.stop()
            #expect(try scenario.placesHoldingToken([storeA, storeB, server.root] + server.logFiles) == [])
        }
    }

    @Test func readModeNeverUploadsAndWriteModeNeverLooksUp() throws {
        try withTemporaryDirectory { directory in
            let server = try NginxServer()
            let scenario = try RemoteScenario(directory: directory, server: server, token: "unused-token-0123456789")
            let painted = try scenario.plan("painted", command: scenario.painter)
            let failing = try scenario.plan("failing", command: RemoteScenario.failing)
            // read: A generates everything and uploads nothing.
            let read = try scenario.framechain(["run", painted, "--store", directory + "/A", "--remote-mode", "read"])
            #expect(read.status == 0, "\(read.error)")
            #expect(server.storedFiles().isEmpty)
            // write: B uploads what it generates...
            let write = try scenario.framechain(["run", painted, "--store", directory + "/B", "--remote-mode", "write"])
            #expect(write.status == 0, "\(write.error)")
            #expect(scenario.remoteFiles("ac").count == 12)
            // ...but never looks anything up: with a generator that fails, C gets nothing from the remote.
            let blind = try scenario.framechain(
                ["run", failing, "--store", directory + "/C", "--remote-mode", "write", "--json"])
            #expect(blind.status == 1)
            #expect(!jsonLinks(try jsonObject(blind.output)).contains { $0["outcome"] as? String == "hit" })
            let sighted = try scenario.framechain([
                "run", failing, "--store", directory + "/C", "--remote-mode", "read",
            ])
            #expect(sighted.status == 0, "\(sighted.error)")
        }
    }

    @Test func aRemoteThatStopsMidRunLeavesTheRunToFinishLocallyWithOneWarning() throws {
        try withTemporaryDirectory { directory in
            let server = try NginxServer()
            let scenario = try RemoteScenario(directory: directory, server: server, token: "unused-token-0123456789")
            // The generator stops nginx on its first call: the run has looked ref/1 up, and its upload then fails.
            let stopper = directory + "/stop-then-paint.sh"
            try Array(
                """
                #!/bin/sh
                kill -TERM \(server.processID) 2>/dev/null
                exec python3 \(directory)/painter.py
                """.utf8
            ).write(to: stopper)
            chmod(stopper, 0o755)
            let plan = try scenario.plan("plan", command: [stopper])
            let run = try scenario.framechain(["run", plan, "--store", directory + "/A", "--json"])
            #expect(run.status == 0, "\(run.error)")
            #expect(jsonLinks(try jsonObject(run.output)).allSatisfy { $0["outcome"] as? String == "generated" })
            let warnings = run.error.split(separator: "\n").filter { $0.hasPrefix("Warning: ") }
            #expect(warnings.count == 1)
            #expect(warnings.first?.contains("the remote cache \(server.baseURL) is unavailable") == true)
            #expect(warnings.first?.contains("going on with the local store only") == true)
            #expect(!server.isRunning)
        }
    }

    @Test func aRemoteThatRefusesTheCredentialsSaysSo() throws {
        try withTemporaryDirectory { directory in
            let stand = try FakeProviderServer()
            let plan = fixturesDirectory() + "/plans/perfume-ad.json"
            let remote = stand.baseURL + "/_unauthorized/cache"
            let run = try runFramechain(
                ["status", plan, "--store", directory + "/store", "--remote", remote], scratch: directory)
            #expect(run.status == 0, "\(run.error)")
            #expect(
                run.error.contains("answered HTTP 401 Unauthorized: the remote refused the credentials (no "
                    + "FRAMECHAIN_REMOTE_TOKEN is set)"), "\(run.error)")
            let withToken = try runFramechain(
                ["status", plan, "--store", directory + "/store", "--remote", remote], scratch: directory,
                environment: ["FRAMECHAIN_REMOTE_TOKEN": "wrong-token-123"])
            #expect(withToken.error.contains("refused the credentials (check FRAMECHAIN_REMOTE_TOKEN)"))
            #expect(!withToken.error.contains("wrong-token-123"))
            stand.stop()
        }
    }
}
