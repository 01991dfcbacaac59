import FuzzSupport
import Store

#if canImport(Glibc)
    import Glibc
#endif

// The bundle importer: any file either imports or is refused with a StoreError; the store it imports into
// must pass `verify` after every import that succeeds.
// scripts/fuzz.sh names a scratch directory under .build-fuzz and removes it afterwards.
let scratch = (getenv("FRAMECHAIN_FUZZ_SCRATCH").map { String(cString: $0) } ?? "/tmp") + "/bundle-\(getpid())"
let bundlePath = scratch + "/input.fcbundle"
let storePath = scratch + "/store"
mkdir(scratch, 0o700)

func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let file = fopen(bundlePath, "wb") else { fatalError("cannot write \(bundlePath)") }
    if size > 0, let data { fwrite(data, 1, size, file) }
    fclose(file)
    unlink(bundlePath + "-journal")
    // A refused bundle leaves the store as it was (clean); an imported one must leave it clean too.
    guard (try? StoreBundle.importBundle(at: bundlePath, intoStoreAt: storePath)) != nil else { return 0 }
    let report = try! Store(directory: storePath).verify(workers: 1)
    precondition(report.ok, "the store is not clean after an import: \(report.problems)")
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt { fuzzOne(data, size) }

runFuzzer { fuzzOne($0, $1) }
