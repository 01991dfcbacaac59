/// At most `limit` transfers at once; the others wait their turn, in order, before they start (so that a request's
/// deadline covers its transfer only, never the wait behind the others).
actor TransferSlots {
    private let limit: Int
    private var inUse = 0
    /// Who waits, in order from `head` (a run may queue one download per link: no `removeFirst` shifting).
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var head = 0

    init(limit: Int) {
        precondition(limit > 0, "a transfer needs at least one slot")
        self.limit = limit
    }

    /// Runs `body` in a slot, waiting for one first when all are taken.
    func run<T: Sendable>(_ body: @Sendable () async -> T) async -> T {
        if inUse < limit {
            inUse += 1
        } else {
            // The slot is handed over by the finishing transfer (`inUse` stays as it is).
            await withCheckedContinuation { waiting.append($0) }
        }
        let value = await body()
        if head == waiting.count {
            inUse -= 1
        } else {
            let next = waiting[head]
            head += 1
            if head == waiting.count {
                waiting.removeAll(keepingCapacity: true)
                head = 0
            }
            next.resume()
        }
        return value
    }
}
