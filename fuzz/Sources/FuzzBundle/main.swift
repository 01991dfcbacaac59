import FuzzSupport
import Store

#if canImport(Glibc)
    import Glibc
#endif

// The bundle importer: any file either imports or is refused with a StoreError; the store it imports into
// must pass `verify` afterwards either way.
let scratch = "/tmp/framechain-fuzz-bundle-\(getpid())"
let bundlePath = scratch + "/input.fcbundle"
let storePath = scratch + "/store"
mkdir(scratch, 0o700)

func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let file = fopen(bundlePath, "wb") else { fatalError("cannot write \(bundlePath)") }
    if size > 0, let data { fwrite(data, 1, size, file) }
    fclose(file)
    unlink(bundlePath + "-journal")
    _ = try? StoreBundle.importBundle(at: bundlePath, intoStoreAt: storePath)
    if let store = try? Store(directory: storePath) {
        let report = try! store.verify(workers: 1)
        precondition(report.ok, "the store is not clean after an import: \(report)")
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt { fuzzOne(data, size) }

runFuzzer { fuzzOne($0, $1) }
