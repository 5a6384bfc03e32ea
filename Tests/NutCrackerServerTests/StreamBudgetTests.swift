@testable import NutCrackerServer
import Testing

@Suite struct StreamBudgetTests {
    @Test func aSlowClientCostsAtMostTheLimitAndIsToldWhatItMissed() {
        let budget = StreamBudget(limit: 100)
        #expect(admitted(budget.admit(60)) == 0)
        #expect(admitted(budget.admit(40)) == 0)
        // Full: what comes now is dropped and counted...
        #expect(admitted(budget.admit(1)) == nil)
        #expect(admitted(budget.admit(30)) == nil)
        // ...until the writer has sent enough that half the budget is free with the next one, which
        // carries the count once.
        budget.sent(30)
        #expect(admitted(budget.admit(10)) == nil)
        budget.sent(40)
        #expect(admitted(budget.admit(20)) == 3)
        #expect(admitted(budget.admit(50)) == 0)
        // A message larger than the limit still goes to a client with nothing waiting.
        budget.sent(100)
        #expect(admitted(budget.admit(500)) == 0)
    }

    private func admitted(_ a: StreamBudget.Admission) -> Int? {
        if case .admitted(let dropped) = a { return dropped }
        return nil
    }
}
