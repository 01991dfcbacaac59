import Testing

@testable import Chain

@Suite struct PlanErrorTests {
    @Test func describesFileOnlyErrors() {
        #expect(PlanError(file: "plans/ad.json", message: "no such file").description == "plans/ad.json: no such file")
    }

    @Test func describesSyntaxErrorsWithLineAndColumn() {
        let error = PlanError(
            file: "plans/ad.json", line: 3, column: 17, message: "expected a value, found end of input")
        #expect(error.description == "plans/ad.json:3:17: expected a value, found end of input")
    }

    @Test func describesValidationErrorsWithTheJSONPath() {
        let error = PlanError(
            file: "plans/ad.json", path: "scenes[0].takes.start", message: "take must be an integer >= 1, found 0")
        #expect(error.description == "plans/ad.json: scenes[0].takes.start: take must be an integer >= 1, found 0")
    }
}
