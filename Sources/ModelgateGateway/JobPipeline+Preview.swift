import Foundation
import ModelgateCore
import ModelgateParsing
import ModelgatePrivacy
import ModelgateStore

/// What a job would cost and how far off its figures may be, said before anything is spent and
/// without touching the data: steps 1 and 2 of ``JobPipeline/run(specText:principal:needsAgreement:job:)``
/// (the spec, the dataset's policy, the agreement) and the budgets as the store holds them.
package struct JobPreview: Sendable, Encodable {
    /// `ok`, or `refused` with the reason the job would be refused for before it ran.
    package var status: String
    package var dataset: String?
    package var model: ModelKind?
    /// `exact` (no ε: exact figures, checked for disclosure) or `dp`.
    package var mode: String?
    package var mechanism: String?
    package var epsilon: String?
    /// The noise's scale and the 95 % half-width of each released figure.
    package var scale: Double?
    package var ci95: Double?
    /// Each kind of figure released, with its share of ε, scale and half-width in the data's units.
    package var figures: [PrivacyReport.Figure]?
    /// The agreement's allocation and the dataset's cap, before and after this job.
    package var budgets: [Budget]?
    /// How many more jobs like this one would fit after it.
    package var moreLikeThis: Int?
    package var reason: Refusal?

    package struct Budget: Sendable, Encodable {
        /// `agreement` (with its id) or `dataset` (all agreements together).
        package var scope: String
        package var agreement: String?
        package var total: String
        package var spent: String
        package var leftAfter: String
    }
}

extension JobPipeline {
    /// The preview of a job `principal` would submit; a researcher's needs an agreement.
    package func preview(specText: String, principal: String, needsAgreement: Bool) throws -> JobPreview {
        let spec: ModelSpec
        do {
            spec = try ModelSpec(text: specText)
        } catch {
            return JobPreview(status: "refused", reason: error)
        }
        guard let dataset = try datasets.open(spec.dataset) else {
            return Self.refused(Refusal(.unknownDataset, "dataset '\(spec.dataset)' does not exist"), spec)
        }
        let terms: PrivacyTerms?
        let agreement: Agreement?
        do {
            (agreement, _, terms) = try admitWithoutRecording(
                spec, dataset, principal: principal, needsAgreement: needsAgreement)
        } catch let refusal as Refusal {
            return Self.refused(refusal, spec)
        }
        var preview = JobPreview(status: "ok", dataset: spec.dataset, model: spec.model, mode: "exact")
        guard let terms else { return preview }
        let report = terms.report
        preview.mode = "dp"
        preview.mechanism = PrivacyTerms.mechanism
        preview.epsilon = "\(terms.epsilon)"
        preview.scale = report.scale
        preview.ci95 = report.ci95
        preview.figures = report.figures
        guard let agreement else { return preview }
        let privacy = dataset.policy.privacy
        let account = try store.privacyAccount(dataset: spec.dataset)
        var budgets: [JobPreview.Budget] = []
        var fit = Int.max
        for (scope, id, total) in [
            ("agreement", agreement.id, account.allocation(of: agreement.id, policy: privacy)),
            ("dataset", "", privacy.datasetEpsilon),
        ] {
            let used = account.spent(by: id)
            let after = total - used - terms.epsilon
            budgets.append(
                .init(
                    scope: scope, agreement: id.isEmpty ? nil : id, total: "\(total)", spent: "\(used)",
                    leftAfter: after.micros < 0 ? "not enough" : "\(after)"))
            fit = min(fit, after.micros < 0 ? -1 : Int(after.micros / terms.epsilon.micros))
        }
        preview.budgets = budgets
        if fit < 0 {
            preview.status = "refused"
            preview.reason = Refusal(
                .privacyBudgetExhausted,
                "this job asks for ε \(terms.epsilon), more than is left; ask with a smaller epsilon")
        } else {
            preview.moreLikeThis = fit
        }
        return preview
    }

    static func refused(_ refusal: Refusal, _ spec: ModelSpec) -> JobPreview {
        JobPreview(status: "refused", dataset: spec.dataset, model: spec.model, reason: refusal)
    }
}
