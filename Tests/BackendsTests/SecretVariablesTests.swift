import Testing

@testable import Backends
@testable import Chain

/// The executor scrubs the variables `SecretRedactor` lists; every backend's token must be among them.
@Suite struct SecretVariablesTests {
    @Test func everyBackendTokenIsRedacted() {
        for variable in [ReplicateGenerator.tokenVariable, OpenAIGenerator.tokenVariable] {
            #expect(SecretRedactor.variables.contains(variable), "\(variable) is not redacted")
        }
    }

    @Test func theRedactorScrubsABackendToken() {
        let redactor = SecretRedactor(environment: [ReplicateGenerator.tokenVariable: "r8_secret_token_value"])
        #expect(redactor.redact("401 for r8_secret_token_value") == "401 for <redacted>")
    }
}
