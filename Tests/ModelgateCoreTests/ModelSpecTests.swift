import ModelgateParsing
import ModelgateTestSupport
import Testing

@testable import ModelgateCore

@Suite struct ModelSpecTests {
    @Test func readsACrosstabWithFiltersFromYAML() throws {
        let spec = try ModelSpec(
            text: """
                model: crosstab
                dataset: survey
                rows: [district]
                columns: [sector]
                measure: income
                statistic: median
                where:
                  - { column: age, op: ">=", value: 18 }
                  - { column: district, op: in, value: [North, South] }
                """)
        #expect(spec.model == .crosstab)
        #expect(spec.dataset == "survey")
        #expect(
            spec.task
                == .crosstab(
                    CrosstabTask(rows: ["district"], columns: ["sector"], measure: "income", statistic: .median)))
        #expect(
            spec.filters == [
                Filter(column: "age", op: .greaterOrEqual, value: .one("18")),
                Filter(column: "district", op: .isIn, value: .list(["North", "South"])),
            ])
    }

    @Test func readsJSON() throws {
        let spec = try ModelSpec(
            text:
                #"{"model": "linear_regression", "dataset": "survey", "target": "income", "features": ["age", "sector"]}"#
        )
        #expect(spec.task == .linearRegression(RegressionTask(target: "income", features: ["age", "sector"])))
    }

    @Test(arguments: [
        ("model: crosstab\ndataset: survey\n", "rows"),
        ("model: crosstab\ndataset: survey\nrows: [a]\ncode: 'import os'\n", "unknown key 'code'"),
        ("model: crosstab\ndataset: survey\nrows: [a]\nstatistic: mean\n", "needs a measure"),
        // A measure alone used to count rows silently.
        ("model: crosstab\ndataset: survey\nrows: [a]\nmeasure: income\n", "'measure' is given without a 'statistic'"),
        ("model: histogram\ndataset: survey\nvariable: age\nbins: 5\nedges: [1, 2]\n", "not both"),
        ("model: summary\ndataset: survey\nvariables: [a]\nwhere: [{column: a, op: like, value: x}]\n", "like"),
        ("model: summary\ndataset: survey\nvariables: [a]\nwhere: [{column: a, op: in, value: x}]\n", "takes a list"),
        ("- just\n- a list\n", "mapping"),
        // A label is shown in job lists: an escape sequence or a line break could rewrite them.
        ("model: summary\ndataset: survey\nvariables: [a]\nlabel: \"x\\e[2Jy\"\n", "control or format"),
        ("model: summary\ndataset: survey\nvariables: [a]\nlabel: \"x\\nfake,released\"\n", "control or format"),
        ("model: summary\ndataset: survey\nvariables: [a]\nlabel: \"table \\u202E1\"\n", "direction overrides"),
    ])
    func malformedSpecsAreRefusedWithTheProblem(text: String, mentions: String) {
        #expect {
            _ = try ModelSpec(text: text)
        } throws: { error in
            let refusal = error as! Refusal
            return refusal.code == .invalidSpec && refusal.message.contains(mentions)
        }
    }

    @Test func unknownModelHasItsOwnCode() {
        #expect(throws: Refusal.self) { _ = try ModelSpec(text: "model: deep_learning\ndataset: survey\n") }
        do {
            _ = try ModelSpec(text: "model: deep_learning\ndataset: survey\n")
        } catch {
            #expect(error.code == .unknownModel)
            #expect(error.message.contains("summary, crosstab"))
        }
    }

    @Test func oversizedSpecIsRefusedBeforeParsing() {
        let text = "model: summary\ndataset: survey\nvariables: [" + String(repeating: "x,", count: 40_000) + "x]\n"
        do {
            _ = try ModelSpec(text: text)
            Issue.record("an oversized spec was accepted")
        } catch {
            #expect(error.code == .specTooLarge)
        }
    }
}
