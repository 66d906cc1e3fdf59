import Foundation
import Hummingbird
import ModelgateCore
import ModelgateGateway
import ModelgateStore

/// The web console at `/console`: server-rendered pages for owners, auditors and researchers.
///
/// Signing in takes a token once; the browser then holds only a random session id in an
/// `HttpOnly`, `SameSite=Strict` cookie (the token is never in a page). Every form carries the
/// session's CSRF token and a POST without it is refused; the sign-in form is protected the same
/// way by a token in a short-lived cookie. Every action goes through the same
/// ``AccessWorkflow`` as the API, so the same rules hold, and is an audit event as there.
extension APIServer {
    static let sessionCookie = "modelgate_session"
    static let signInCookie = "modelgate_sign_in"

    func addConsoleRoutes(to router: Router<GatewayContext>) {
        let console = router.group("console")
        console.get { request, _ in
            if try await signedIn(request) != nil { return Self.redirect("/console/home") }
            return Self.signInPage(error: nil)
        }
        console.post("sign-in") { request, _ in
            let form = try await Self.form(request)
            guard let expected = request.cookies[Self.signInCookie]?.value, let sent = form["csrf"],
                Tokens.constantTimeEqual(expected, sent)
            else { return Self.refusal("The sign-in form has expired; open the console again and sign in.") }
            let token = form["token"] ?? ""
            guard let principal = try await blocking({ [store] in try Tokens.principal(of: token, in: store) }),
                !principal.disabled
            else { return Self.signInPage(error: "That token is not valid, or its principal is disabled.") }
            guard let tokenID = Tokens.id(of: token),
                let session = await consoleSessions.open(for: principal.name, tokenID: tokenID)
            else { return Self.refusal("The console has as many sessions as it may hold; try again later.") }
            var response = Self.redirect("/console/home")
            response.setCookie(Self.cookie(Self.sessionCookie, session.id, maxAge: 8 * 3600))
            response.setCookie(Self.cookie(Self.signInCookie, "", maxAge: 0))
            return response
        }
        console.post("sign-out") { request, _ in
            let session: ConsoleSessions.Session
            switch try await posted(request) {
            case .form(let form): session = form.session
            case .answer(let response): return response
            }
            await consoleSessions.close(session.id)
            var response = Self.redirect("/console")
            response.setCookie(Self.cookie(Self.sessionCookie, "", maxAge: 0))
            return response
        }
        console.get("home") { request, _ in
            guard let (principal, session) = try await signedIn(request) else { return Self.redirect("/console") }
            let flash = await consoleSessions.takeFlash(session.id)
            let query = request.uri.queryParameters
            let csrf = session.csrf
            let body = try await blocking { [self] in
                let (template, context) = try homePage(for: principal, query: { query.get($0) })
                return ConsoleTemplates.render(context.merging(["csrf": csrf]) { $1 }, template)
            }
            return Self.wrap(body, title: "Home", who: principal, session: session, flash: flash)
        }
        console.get("jobs/:id") { request, context in
            guard let (principal, session) = try await signedIn(request) else { return Self.redirect("/console") }
            let id = try context.parameters.require("id")
            let workflow = workflow
            guard let stored = try? await blocking({ try workflow.job(id, for: principal) }),
                let document = stored.document, let result = try? JobResult(jsonText: document)
            else {
                return Self.page(
                    "denied", ["reason": "No result of this job is yours to see.", "heading": "Not yours to see"],
                    title: "Job", who: principal,
                    session: session, status: .forbidden)
            }
            return Self.page(
                "job", ["job": id, "text": ResultText.render(result)], title: "Job", who: principal, session: session)
        }
        addConsoleActions(to: console)
        addConsoleDownloads(to: console)
    }

    /// The forms' targets: each checks the session and its CSRF token, takes the action through
    /// the workflow, and goes back to the home page with what happened.
    private func addConsoleActions(to console: RouterGroup<GatewayContext>) {
        let workflow = workflow
        for (verb, approve) in [("approve", true), ("refuse", false)] {
            console.post("applications/:id/\(verb)") { request, context in
                let id = try context.parameters.require("id")
                return try await act(request, "the application \(verb == "approve" ? "approved" : "refused")") {
                    principal, form in
                    // Conditions (an approval's): comma-separated lists and a day, each optional.
                    func list(_ key: String) -> [String]? {
                        let items = (form[key] ?? "").split(separator: ",").map {
                            $0.trimmingCharacters(in: .whitespaces)
                        }.filter { !$0.isEmpty }
                        return items.isEmpty ? nil : items
                    }
                    let models = try list("models")?.map { name in
                        guard let model = ModelKind(rawValue: name) else {
                            throw ModelgateError(.invalidBody, "'\(name)' is not a model")
                        }
                        return model
                    }
                    let ends = form["ends"].flatMap { $0.isEmpty ? nil : $0 }
                    _ = try workflow.decide(
                        id, approve: approve, dataset: nil, reason: form["reason"], by: principal, models: models,
                        ends: ends, only: list("datasets"))
                }
            }
        }
        for (verb, state, done) in [
            ("suspend", DatasetState.suspended, "suspended"), ("resume", .open, "resumed"),
            ("withdraw", .withdrawn, "withdrawn"),
        ] {
            console.post("datasets/:id/\(verb)") { request, context in
                let id = try context.parameters.require("id")
                return try await act(request, "dataset \(id) \(done)") { principal, form in
                    _ = try workflow.change(dataset: id, to: state, reason: form["reason"], by: principal)
                }
            }
        }
        for (verb, status, done) in [
            ("suspend", Agreement.Status.suspended, "suspended"), ("resume", .active, "resumed"),
            ("terminate", .terminated, "terminated"),
        ] {
            console.post("agreements/:id/\(verb)") { request, context in
                let id = try context.parameters.require("id")
                return try await act(request, "agreement \(id) \(done)") { principal, form in
                    _ = try workflow.change(agreement: id, to: status, reason: form["reason"], by: principal)
                }
            }
        }
        console.post("doubts") { request, _ in
            try await act(request, "your doubt was filed; the owner answers within 10 working days") {
                principal, form in
                let column = form["column"].flatMap { $0.isEmpty ? nil : $0 }
                _ = try workflow.fileDoubt(
                    .init(dataset: form["dataset"] ?? "", column: column, description: form["description"]),
                    by: principal)
            }
        }
        console.post("doubts/:id/answer") { request, context in
            let id = try context.parameters.require("id")
            return try await act(request, "the doubt was answered") { principal, form in
                _ = try workflow.answerDoubt(
                    id, confirmed: form["confirmed"] == "true", reason: form["reason"], by: principal)
            }
        }
    }

    /// CSV downloads for auditors: the events as filtered on the page, and the usage report.
    private func addConsoleDownloads(to console: RouterGroup<GatewayContext>) {
        console.get("events.csv") { request, _ in
            guard let (principal, _) = try await signedIn(request), principal.role.may(.readAudit) else {
                return Self.refusal("Only an auditor downloads the audit events.")
            }
            let query = request.uri.queryParameters
            let filter = Self.eventFilter { query.get($0) }
            let store = store
            let csv = try await blocking {
                var text = CSVText.line(["index", "at", "kind", "principal", "dataset", "job", "detail", "hash"])
                try store.forEachEvent(filter) {
                    text += CSVText.line([
                        String($0.index), $0.at, $0.kind.rawValue, $0.principal ?? "", $0.dataset ?? "", $0.job ?? "",
                        $0.detail, $0.hash,
                    ])
                }
                return text
            }
            return Self.download(csv, name: "audit-events.csv")
        }
        console.get("report.csv") { request, _ in
            guard let (principal, _) = try await signedIn(request), principal.role.may(.readAudit) else {
                return Self.refusal("Only an auditor downloads the usage report here.")
            }
            let year = request.uri.queryParameters.get("year", as: Int.self) ?? Self.thisYear
            let workflow = workflow
            let report = try await blocking { try workflow.usageReport(year: year, dataset: nil, for: principal) }
            var csv = CSVText.line(["year", "month", "status", "jobs"])
            for month in report.months {
                csv += CSVText.line([String(year), month.month, month.status, String(month.jobs)])
            }
            return Self.download(csv, name: "usage-\(year).csv")
        }
    }

    // MARK: Pages

    /// The home page of `principal`'s role: its template and what it shows.
    func homePage(for principal: Principal, query: (String) -> String?) throws -> (String, [String: Any]) {
        switch principal.role {
        case .owner: return ("owner", try ownerPage(principal))
        case .researcher: return ("researcher", try researcherPage(principal))
        case .auditor: return ("auditor", try auditorPage(principal, query: query))
        case .admin:
            return (
                "denied",
                [
                    "heading": "Not for your role",
                    "reason":
                        "An administrator operates the gateway (principals, policies) from the command line; "
                        + "the console has no pages for that role.",
                ]
            )
        }
    }

    private func ownerPage(_ owner: Principal) throws -> [String: Any] {
        let entries = try workflow.catalog.entries(for: owner).filter { owner.answers(for: $0.owner) }
        let mine = Set(entries.map(\.id))
        // Pending first, then the rest, newest first.
        let applications = try workflow.applications(for: owner).sorted {
            ($0.status == .pending ? 0 : 1, $1.submittedAt) < ($1.status == .pending ? 0 : 1, $0.submittedAt)
        }
        let jobs = try store.jobs(datasets: Array(mine), limit: 200)
        let doubts = try workflow.doubts(for: owner)
        let agreements = try workflow.agreements(for: owner)
        let withoutFile = try policies.map { try PolicyReload(state: state, store: store).withoutFile(in: $0) } ?? []
        let policies = try entries.map { entry -> [String: Any] in
            let history = try store.policyHistory(of: entry.id)
            var policy: [String: Any] = [
                "dataset": entry.id, "loadedAt": history.last?.loadedAt ?? "", "text": history.last?.text ?? "",
            ]
            if history.count >= 2 {
                let (before, now) = (history[history.count - 2].text, history[history.count - 1].text)
                policy["changes"] = ["diff": PolicyReload.diff(before, now).joined(separator: "\n")]
            }
            return policy
        }
        return [
            "hasAgreements": !agreements.isEmpty,
            "agreements": agreements.map {
                [
                    "id": $0.id, "researcher": $0.researcher, "datasets": $0.datasets.joined(separator: ", "),
                    "models": $0.models.map(\.rawValue).joined(separator: ", "), "starts": $0.starts,
                    "expires": $0.expires, "status": $0.status.rawValue, "reason": $0.reason.map { "(\($0))" } ?? "",
                    "active": $0.status == .active, "suspended": $0.status == .suspended,
                    "terminated": $0.status == .terminated,
                ] as [String: Any]
            },
            "policies": policies,
            "hasWithoutFile": !withoutFile.filter(mine.contains).isEmpty,
            "withoutFile": withoutFile.filter(mine.contains),
            "ownerBody": owner.body ?? "",
            "hasApplications": !applications.isEmpty,
            "applications": applications.map {
                [
                    "id": $0.id, "researcher": $0.researcher, "datasets": $0.datasets.joined(separator: ", "),
                    "models": $0.models.map(\.rawValue).joined(separator: ", "), "purpose": $0.purpose,
                    "scenario": $0.scenario, "safeguards": $0.safeguards, "starts": $0.starts, "ends": $0.ends,
                    "status": $0.status.rawValue, "pending": $0.status == .pending,
                    // Every decision so far, with its conditions: what a later owner approves within.
                    "decisions": $0.decisions.map { decision in
                        let verdict =
                            decision.dropped == true ? "dropped" : decision.approved ? "approved" : "refused"
                        let models = decision.conditions?.models.map {
                            "; models: " + $0.map(\.rawValue).joined(separator: ", ")
                        }
                        return "\(decision.dataset): \(verdict) by \(decision.owner)" + (models ?? "")
                            + (decision.conditions?.ends.map { "; ends \($0)" } ?? "")
                            + (decision.reason.map { " (\($0))" } ?? "")
                    },
                ] as [String: Any]
            },
            "datasets": entries.map {
                [
                    "id": $0.id, "state": $0.state, "stateReason": $0.stateReason ?? "", "open": $0.state == "open",
                    "suspended": $0.state == "suspended", "withdrawn": $0.state == "withdrawn",
                ] as [String: Any]
            },
            "hasDoubts": !doubts.isEmpty, "doubts": doubts.map { Self.doubtRow($0, answerable: $0.status == .open) },
            "hasJobs": !jobs.isEmpty,
            "jobs": jobs.map { Self.jobRow($0, link: $0.principal == owner.name) },
        ]
    }

    private func researcherPage(_ researcher: Principal) throws -> [String: Any] {
        let profile = try workflow.catalog.profile(of: researcher)
        let jobs = try workflow.jobs(for: researcher, limit: 100)
        let doubts = try workflow.doubts(for: researcher)
        let agreements = profile.agreements ?? []
        return [
            "who": researcher.name,
            "hasAgreements": !agreements.isEmpty,
            "agreements": agreements.map {
                [
                    "id": $0.id, "datasets": $0.datasets.joined(separator: ", "),
                    "models": $0.models.map(\.rawValue).joined(separator: ", "), "purpose": $0.purpose,
                    "starts": $0.starts, "expires": $0.expires, "status": $0.status.rawValue,
                ]
            },
            "quota": (profile.quotaToday ?? []).map { ["dataset": $0.dataset, "used": $0.used, "left": $0.left] },
            "hasBudgets": !(profile.privacyBudgets ?? []).isEmpty,
            "budgets": (profile.privacyBudgets ?? []).map {
                [
                    "dataset": $0.dataset, "agreement": $0.agreement, "epsilon": $0.epsilon, "spent": $0.spent,
                    "left": $0.left,
                ]
            },
            "hasJobs": !jobs.isEmpty, "jobs": jobs.map { Self.jobRow($0, link: $0.document != nil) },
            "hasDoubts": !doubts.isEmpty, "doubts": doubts.map { Self.doubtRow($0, answerable: false) },
            "datasetIDs": try workflow.catalog.entries(for: researcher).map(\.id),
        ]
    }

    private func auditorPage(_ auditor: Principal, query: (String) -> String?) throws -> [String: Any] {
        // The whole chain is verified when the page is opened, not on every filter or page.
        let opening = ["kind", "dataset", "principal", "after"].allSatisfy { (query($0) ?? "").isEmpty }
        let verification = opening ? try store.verifyChain(progress: nil) : nil
        var filter = Self.eventFilter(query)
        filter.limit = 50
        var events: [AuditEvent] = []
        try store.forEachEvent(filter) { events.append($0) }
        let year = query("year").flatMap(Int.init) ?? Self.thisYear
        let report = try workflow.usageReport(year: year, dataset: nil, for: auditor)
        let months = Dictionary(grouping: report.months, by: \.month).sorted { $0.key < $1.key }.map { month, counts in
            ConsoleChart.Bar(label: month, segments: counts.map { ($0.status, $0.jobs) })
        }
        let reasons = report.reasons.map {
            ConsoleChart.Bar(label: $0.code, segments: [($0.status, $0.jobs)])
        }
        let perDataset = Dictionary(grouping: report.lines, by: { $0.dataset ?? "(none)" }).sorted { $0.key < $1.key }
            .map { dataset, lines in
                ConsoleChart.Bar(
                    label: dataset,
                    segments: Dictionary(grouping: lines, by: \.status).sorted { $0.key < $1.key }.map {
                        ($0.key, $0.value.reduce(0) { $0 + $1.jobs })
                    })
            }
        let doubts = try workflow.doubts(for: auditor)
        let filterQuery = ["kind", "dataset", "principal"].compactMap { key in
            query(key).flatMap {
                $0.isEmpty ? nil : "\(key)=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
            }
        }.joined(separator: "&")
        return [
            "verified": verification != nil,
            "intact": verification?.failure == nil, "count": verification?.count ?? 0,
            "head": verification?.headHash ?? "", "brokenAt": verification?.failure?.index ?? 0,
            "problem": verification?.failure?.problem ?? "",
            "filter": [
                "kind": query("kind") ?? "", "dataset": query("dataset") ?? "", "principal": query("principal") ?? "",
                "query": filterQuery,
            ],
            "events": events.map {
                [
                    "index": $0.index, "at": $0.at, "kind": $0.kind.rawValue, "principal": $0.principal ?? "",
                    "dataset": $0.dataset ?? "", "job": $0.job ?? "", "detail": $0.detail,
                ] as [String: Any]
            },
            "next": events.count == filter.limit ? events.last.map { String($0.index) } as Any : false,
            "year": year,
            "totals": [
                "jobs": report.totals.jobs, "researchers": report.totals.researchers,
                "researcherNoun": report.totals.researchers == 1 ? "researcher" : "researchers",
                "cellsSuppressed": report.totals.cellsSuppressed, "cellsReleased": report.totals.cellsReleased,
            ],
            "monthsChart": ConsoleChart.stacked(months, title: "jobs per month by status"),
            "reasonsChart": ConsoleChart.stacked(reasons, title: "refusals and failures by reason"),
            "datasetsChart": ConsoleChart.stacked(perDataset, title: "jobs per dataset by status"),
            "datasets": report.datasets.map {
                ["dataset": $0.dataset, "jobs": $0.jobs, "researchers": $0.researchers, "cpuSeconds": $0.cpuSeconds]
                    as [String: Any]
            },
            "hasDoubts": !doubts.isEmpty, "doubts": doubts.map { Self.doubtRow($0, answerable: false) },
        ]
    }

    static func doubtRow(_ doubt: DataDoubt, answerable: Bool) -> [String: Any] {
        var row: [String: Any] = [
            "id": doubt.id, "dataset": doubt.dataset, "column": doubt.column ?? "", "description": doubt.description,
            "researcher": doubt.researcher, "filedAt": doubt.filedAt, "dueBy": doubt.dueBy,
            "status": doubt.status.rawValue, "overdue": doubt.overdue == true, "answerable": answerable,
        ]
        if let answer = doubt.answer {
            row["answer"] = ["reason": answer.reason, "owner": answer.owner, "at": answer.at]
        }
        return row
    }

    /// A job as a row: who, when, what, how it ended and, for one refused or failed, the
    /// reason's code (not its message, which may quote the spec).
    static func jobRow(_ job: StoredJob, link: Bool) -> [String: Any] {
        let reason = job.document.flatMap { try? JobResult(jsonText: $0).reason?.code.rawValue } ?? ""
        return [
            "job": job.id, "submittedAt": job.submittedAt, "principal": job.principal, "dataset": job.dataset ?? "",
            "model": job.model ?? "", "status": job.status, "reason": reason, "link": link,
        ]
    }

    // MARK: Sessions, forms and responses

    /// The principal and session of a request with a live session cookie; nil otherwise. A
    /// principal disabled since signing in is signed out.
    func signedIn(_ request: Request) async throws -> (Principal, ConsoleSessions.Session)? {
        guard let id = request.cookies[Self.sessionCookie]?.value, !id.isEmpty,
            let session = await consoleSessions.session(id)
        else { return nil }
        let store = store
        let (name, tokenID) = (session.principal, session.tokenID)
        // The token signed in with must still be this principal's, and the principal enabled:
        // rotating a leaked token, or disabling its principal, ends the session too.
        guard let (principal, _) = try await blocking({ try store.principal(tokenID: tokenID) }),
            principal.name == name, !principal.disabled
        else {
            await consoleSessions.close(id)
            return nil
        }
        return (principal, session)
    }

    /// A form posted from a console page: its fields, from a live session, with that session's
    /// CSRF token.
    struct Posted {
        var principal: Principal
        var session: ConsoleSessions.Session
        var fields: [String: String]
    }

    /// The form `request` posts, or the answer when it may not be taken: back to sign-in
    /// without a session, refused without the session's CSRF token.
    func posted(_ request: Request) async throws -> PostedOrAnswer {
        let fields = try await Self.form(request)
        guard let (principal, session) = try await signedIn(request) else { return .answer(Self.redirect("/console")) }
        guard let sent = fields["csrf"], Tokens.constantTimeEqual(sent, session.csrf) else {
            return .answer(
                Self.refusal("This form did not come from your console page (its CSRF token is missing or wrong)."))
        }
        return .form(Posted(principal: principal, session: session, fields: fields))
    }

    enum PostedOrAnswer {
        case form(Posted)
        case answer(Response)
    }

    /// Takes an action for the signed-in principal from a form and goes back home, saying what
    /// happened or why it could not.
    func act(
        _ request: Request, _ done: String, _ action: @escaping @Sendable (Principal, [String: String]) throws -> Void
    ) async throws -> Response {
        let (principal, session, form): (Principal, ConsoleSessions.Session, [String: String])
        switch try await posted(request) {
        case .form(let posted): (principal, session, form) = (posted.principal, posted.session, posted.fields)
        case .answer(let response): return response
        }
        do {
            try await blocking { try action(principal, form) }
            await consoleSessions.flash(session.id, "Done: \(done).", error: false)
        } catch let error as ModelgateError {
            if error.code == .forbidden {
                return Self.page(
                    "denied", ["reason": error.message, "heading": "Not for your role"], title: "Not allowed",
                    who: principal, session: session,
                    status: .forbidden)
            }
            await consoleSessions.flash(session.id, error.message, error: true)
        }
        return Self.redirect("/console/home")
    }

    /// The sign-in form with a new sign-in CSRF token, kept in a short-lived cookie it must
    /// come back with; with `error`, after a failed try (401).
    static func signInPage(error: String?) -> Response {
        let csrf = ConsoleSessions.random()
        var context: [String: Any] = ["csrf": csrf]
        if let error { context["error"] = error }
        var response = page(
            "sign-in", context, title: "Sign in", who: nil, status: error == nil ? .ok : .unauthorized)
        response.setCookie(cookie(signInCookie, csrf, maxAge: 600))
        return response
    }

    static func eventFilter(_ query: (String) -> String?) -> AuditFilter {
        func value(_ key: String) -> String? { query(key).flatMap { $0.isEmpty ? nil : $0 } }
        return AuditFilter(
            since: nil, until: nil, dataset: value("dataset"), principal: value("principal"),
            kind: value("kind").map(AuditEvent.Kind.init(rawValue:)), after: value("after").flatMap(Int.init),
            limit: 100_000)
    }

    static var thisYear: Int { Int(Timestamp.day(Date()).prefix(4)) ?? 2026 }

    /// An `application/x-www-form-urlencoded` body, by hand: the few lines of splitting and
    /// percent-decoding it takes (a malformed field is left out).
    static func form(_ request: Request) async throws -> [String: String] {
        let body = try await RequestBodyReader.collect(request, limit: maximumBodyBytes)
        var fields: [String: String] = [:]
        for pair in String(decoding: body.readableBytesView, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ text: Substring) -> String? {
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard let name = decoded(parts[0]), let value = decoded(parts.count > 1 ? parts[1] : "") else { continue }
            if fields[name] == nil { fields[name] = value }
        }
        return fields
    }

    static func cookie(_ name: String, _ value: String, maxAge: Int) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/console", httpOnly: true, sameSite: .strict)
    }

    /// A page in the layout, with the headers every console page has: no caching, no framing,
    /// no script, and forms only to the console itself.
    static func page(
        _ template: String, _ context: [String: Any], title: String, who: Principal?,
        session: ConsoleSessions.Session? = nil, flash: (text: String, error: Bool)? = nil,
        status: HTTPResponse.Status = .ok
    ) -> Response {
        var context = context
        if let session { context["csrf"] = session.csrf }
        var flash = flash
        if let error = context["error"] as? String { flash = (error, true) }
        return wrap(
            ConsoleTemplates.render(context, template), title: title, who: who, session: session, flash: flash,
            status: status)
    }

    /// A rendered page body in the layout, with its headers.
    static func wrap(
        _ body: String, title: String, who: Principal?, session: ConsoleSessions.Session? = nil,
        flash: (text: String, error: Bool)? = nil, status: HTTPResponse.Status = .ok
    ) -> Response {
        var layout: [String: Any] = ["title": title, "body": body]
        if let who {
            layout["who"] = who.name
            layout["role"] = who.role.rawValue
            layout["links"] = [["href": "/console/home", "label": "Home"]]
            layout["csrf"] = session?.csrf ?? ""
        }
        if let flash { layout[flash.error ? "error" : "message"] = flash.text }
        let html = ConsoleTemplates.render(layout, "layout")
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[HTTPFields.Element.Name("Content-Security-Policy")!] =
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        headers[HTTPFields.Element.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPFields.Element.Name("Referrer-Policy")!] = "no-referrer"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func refusal(_ reason: String) -> Response {
        page("denied", ["reason": reason, "heading": "Refused"], title: "Refused", who: nil, status: .forbidden)
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    static func download(_ text: String, name: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"\(name)\""
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
