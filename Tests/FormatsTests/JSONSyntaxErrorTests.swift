import FrameChainTestKit
import Testing

@testable import Formats

@Suite struct JSONSyntaxErrorTests {
    @Test func descriptionIsLineColumnAndMessage() {
        let error = JSONSyntaxError("expected ':' after object key, found '='", line: 3, column: 17, offset: 40)
        #expect(error.description == "3:17: expected ':' after object key, found '='")
    }
}
