import Mustache

/// The console's pages as Mustache templates (swift-mustache, which escapes every `{{value}}`
/// for HTML). They are in the program itself, so that the gateway serves them with nothing
/// beside it and no network: no external style sheet, font or script. `{{{body}}}` inserts a
/// page already rendered (and escaped) by these templates into the layout.
enum ConsoleTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in templates {
            do { try library.register(text, named: name) } catch { fatalError("console template \(name): \(error)") }
        }
        return library
    }()

    static func render(_ context: Any, _ name: String) -> String {
        library.render(context, withTemplate: name) ?? ""
    }

    /// A hidden field with the session's CSRF token: every form has one.
    private static let csrf = #"<input type="hidden" name="csrf" value="{{csrf}}">"#

    static let templates: [String: String] = [
        "layout": """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
        <title>{{title}} · modelgate console</title>
        <style>
        body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
        header{background:#1f3a5f;color:#fff;padding:.6em 1.2em;display:flex;gap:1em;align-items:center}
        header form{margin-left:auto} main{padding:1em 1.4em;max-width:1200px}
        h1{font-size:1.4em} h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccd;padding-bottom:.2em}
        table{border-collapse:collapse;background:#fff;margin:.4em 0} td,th{border:1px solid #d5d9e0;padding:.25em .5em;text-align:left;vertical-align:top}
        th{background:#eef1f5} .num{text-align:right} .text{white-space:pre-line} .overdue{color:#a40000;font-weight:600}
        .message{background:#e8f4e8;border:1px solid #9c9;padding:.5em} .error{background:#fbeaea;border:1px solid #d99;padding:.5em}
        form.inline{display:inline} input[type=text],textarea,select{font:inherit} button{font:inherit;cursor:pointer}
        nav a{color:#fff;margin-right:1em} .muted{color:#667}
        </style></head>
        <body><header><strong>modelgate</strong>
        {{#who}}<nav>{{#links}}<a href="{{href}}">{{label}}</a>{{/links}}</nav>
        <span>{{who}} ({{role}})</span>
        <form method="post" action="/console/sign-out">\(csrf)<button>Sign out</button></form>{{/who}}
        </header><main>
        {{#message}}<p class="message">{{message}}</p>{{/message}}{{#error}}<p class="error">{{error}}</p>{{/error}}
        {{{body}}}
        </main></body></html>
        """,
        "sign-in": """
        <h1>Sign in</h1>
        <p>Paste your modelgate token (the one <code>modelgate principal add</code> printed). It is checked
        once and never kept in the page or the browser: the browser gets a session cookie instead.</p>
        <form method="post" action="/console/sign-in">\(csrf)
        <p><label>Token <input type="password" name="token" size="80" autocomplete="off" required></label></p>
        <p><button>Sign in</button></p></form>
        """,
        "owner": """
        <h1>{{ownerBody}}: data owner</h1>
        <h2>Applications</h2>
        {{^applications}}<p class="muted">No applications name your datasets.</p>{{/applications}}
        {{#hasApplications}}<table><tr><th>Application</th><th>Researcher</th><th>Datasets · models</th><th>Purpose, scenario, safeguards</th><th>Period</th><th>Status</th><th>Decide</th></tr>{{/hasApplications}}
        {{#applications}}<tr><td>{{id}}</td><td>{{researcher}}</td><td>{{datasets}} · {{models}}</td>
        <td>{{purpose}}<br><span class="muted">{{scenario}} · {{safeguards}}</span></td><td>{{starts}} → {{ends}}</td><td>{{status}}{{#decisions}}<br><span class="muted">{{.}}</span>{{/decisions}}</td>
        <td>{{#pending}}<form class="inline" method="post" action="/console/applications/{{id}}/approve">\(csrf)<button>Approve</button></form>
        <form class="inline" method="post" action="/console/applications/{{id}}/refuse">\(csrf)<input type="text" name="reason" placeholder="reason" required><button>Refuse</button></form>
        <details><summary>Approve with conditions</summary><form method="post" action="/console/applications/{{id}}/approve">\(csrf)
        <label>Only these of your datasets <input type="text" name="datasets" placeholder="all of yours" size="24"></label><br>
        <label>Only these models <input type="text" name="models" placeholder="all asked for" size="24"></label><br>
        <label>Ending by <input type="date" name="ends"></label><br>
        <input type="text" name="reason" placeholder="why these conditions" required size="30"><button>Approve with these conditions</button></form></details>{{/pending}}</td></tr>{{/applications}}
        {{#hasApplications}}</table>{{/hasApplications}}
        <h2>Agreements</h2>
        {{^hasAgreements}}<p class="muted">No agreements cover your datasets.</p>{{/hasAgreements}}
        {{#hasAgreements}}<table><tr><th>Agreement</th><th>Researcher</th><th>Datasets · models</th><th>Period</th><th>Status</th><th>Change</th></tr>
        {{#agreements}}<tr><td>{{id}}</td><td>{{researcher}}</td><td>{{datasets}} · {{models}}</td><td>{{starts}} → {{expires}}</td><td>{{status}} {{reason}}</td><td>
        {{#active}}<form class="inline" method="post" action="/console/agreements/{{id}}/suspend">\(csrf)<input type="text" name="reason" placeholder="reason" required><button>Suspend</button></form>{{/active}}
        {{#suspended}}<form class="inline" method="post" action="/console/agreements/{{id}}/resume">\(csrf)<input type="text" name="reason" placeholder="reason" required><button>Resume</button></form>{{/suspended}}
        {{^terminated}}<form class="inline" method="post" action="/console/agreements/{{id}}/terminate">\(csrf)<input type="text" name="reason" placeholder="reason" required><button>Terminate</button></form>{{/terminated}}
        </td></tr>{{/agreements}}</table>{{/hasAgreements}}
        <h2>Datasets</h2>
        <table><tr><th>Dataset</th><th>State</th><th>Why</th><th>Change</th></tr>
        {{#datasets}}<tr><td>{{id}}</td><td>{{state}}</td><td>{{stateReason}}</td><td>
        {{#open}}<form class="inline" method="post" action="/console/datasets/{{id}}/suspend">\(csrf)<input type="text" name="reason" placeholder="reason" required><button>Suspend</button></form>{{/open}}
        {{#suspended}}<form class="inline" method="post" action="/console/datasets/{{id}}/resume">\(csrf)<input type="text" name="reason" placeholder="reason" required><button>Resume</button></form>{{/suspended}}
        {{^withdrawn}}<form class="inline" method="post" action="/console/datasets/{{id}}/withdraw">\(csrf)<input type="text" name="reason" placeholder="reason (for good)" required><button>Withdraw</button></form>{{/withdrawn}}
        </td></tr>{{/datasets}}</table>
        {{#hasWithoutFile}}<p class="error">No policy file governs {{#withoutFile}}{{.}} {{/withoutFile}}: it stays open on the policy stored with it.</p>{{/hasWithoutFile}}
        <h2>Policies</h2>
        {{#policies}}<h3>{{dataset}}</h3><p class="muted">In force since {{loadedAt}}{{#changes}}; what the last reload changed:{{/changes}}</p>
        {{#changes}}<pre>{{diff}}</pre>{{/changes}}
        <details><summary>The policy in force</summary><pre>{{text}}</pre></details>{{/policies}}
        <h2>Data doubts</h2>
        {{>doubts}}
        <h2>Jobs on your datasets</h2>
        {{>jobs}}
        """,
        "doubts": """
        {{^doubts}}<p class="muted">No data doubts.</p>{{/doubts}}
        {{#hasDoubts}}<table><tr><th>Doubt</th><th>Dataset · column</th><th>What seems wrong</th><th>By</th><th>Filed</th><th>Due by</th><th>Status</th><th>Answer</th></tr>{{/hasDoubts}}
        {{#doubts}}<tr><td>{{id}}</td><td>{{dataset}} · {{column}}</td><td class="text">{{description}}</td><td>{{researcher}}</td><td>{{filedAt}}</td>
        <td>{{dueBy}}</td><td>{{#overdue}}<span class="overdue">overdue</span>{{/overdue}}{{^overdue}}{{status}}{{/overdue}}</td>
        <td>{{#answer}}{{reason}} ({{owner}}, {{at}}){{/answer}}{{#answerable}}<form method="post" action="/console/doubts/{{id}}/answer">\(csrf)
        <select name="confirmed"><option value="false">not confirmed</option><option value="true">confirmed and corrected</option></select>
        <input type="text" name="reason" placeholder="reason" required><button>Answer</button></form>{{/answerable}}</td></tr>{{/doubts}}
        {{#hasDoubts}}</table>{{/hasDoubts}}
        """,
        "jobs": """
        {{^jobs}}<p class="muted">No jobs.</p>{{/jobs}}
        {{#hasJobs}}<table><tr><th>Submitted</th><th>Who</th><th>Dataset</th><th>Model</th><th>Status</th><th>Reason</th><th>Job</th></tr>{{/hasJobs}}
        {{#jobs}}<tr><td>{{submittedAt}}</td><td>{{principal}}</td><td>{{dataset}}</td><td>{{model}}</td><td>{{status}}</td><td>{{reason}}</td>
        <td>{{#link}}<a href="/console/jobs/{{job}}">{{job}}</a>{{/link}}{{^link}}{{job}}{{/link}}</td></tr>{{/jobs}}
        {{#hasJobs}}</table>{{/hasJobs}}
        """,
        "researcher": """
        <h1>{{who}}: researcher</h1>
        <h2>Agreements</h2>
        {{^agreements}}<p class="muted">No agreements yet: apply over the API (POST /v1/applications).</p>{{/agreements}}
        {{#hasAgreements}}<table><tr><th>Agreement</th><th>Datasets · models</th><th>Purpose</th><th>Period</th><th>Status</th></tr>{{/hasAgreements}}
        {{#agreements}}<tr><td>{{id}}</td><td>{{datasets}} · {{models}}</td><td>{{purpose}}</td><td>{{starts}} → {{expires}}</td><td>{{status}}</td></tr>{{/agreements}}
        {{#hasAgreements}}</table>{{/hasAgreements}}
        <h2>Left today</h2>
        <table><tr><th>Dataset</th><th>Jobs used</th><th>Jobs left</th></tr>{{#quota}}<tr><td>{{dataset}}</td><td class="num">{{used}}</td><td class="num">{{left}}</td></tr>{{/quota}}</table>
        {{#hasBudgets}}<table><tr><th>Dataset (privacy mode dp)</th><th>Agreement</th><th>ε allocated</th><th>ε spent</th><th>ε left</th></tr>{{/hasBudgets}}
        {{#budgets}}<tr><td>{{dataset}}</td><td>{{agreement}}</td><td class="num">{{epsilon}}</td><td class="num">{{spent}}</td><td class="num">{{left}}</td></tr>{{/budgets}}
        {{#hasBudgets}}</table>{{/hasBudgets}}
        <h2>Your jobs</h2>
        {{>jobs}}
        <h2>Data doubts</h2>
        {{>doubts}}
        <form method="post" action="/console/doubts">\(csrf)
        <p>Doubt a dataset's correctness (its owner answers within 10 working days):</p>
        <p><label>Dataset <select name="dataset">{{#datasetIDs}}<option>{{.}}</option>{{/datasetIDs}}</select></label>
        <label>Column (optional) <input type="text" name="column"></label></p>
        <p><label>What seems wrong<br><textarea name="description" rows="3" cols="80" required></textarea></label></p>
        <p><button>File the doubt</button></p></form>
        """,
        "job": """
        <h1>Job {{job}}</h1>
        <pre>{{text}}</pre>
        <p><a href="/console/home">Back</a></p>
        """,
        "auditor": """
        <h1>Audit</h1>
        <h2>The audit chain</h2>
        {{#verified}}<p>{{#intact}}<strong>Intact</strong>, verified now:{{/intact}}{{^intact}}<strong class="overdue">BROKEN</strong> at event {{brokenAt}}: {{problem}}.{{/intact}}
        {{count}} events, head <code>{{head}}</code>.</p>{{/verified}}
        {{^verified}}<p><a href="/console/home">Verify the chain now</a> (it is verified each time this page is opened without filters).</p>{{/verified}}
        <h2>Events</h2>
        <form method="get" action="/console/home">
        <label>Kind <input type="text" name="kind" value="{{filter.kind}}" size="22"></label>
        <label>Dataset <input type="text" name="dataset" value="{{filter.dataset}}" size="18"></label>
        <label>Principal <input type="text" name="principal" value="{{filter.principal}}" size="14"></label>
        <button>Filter</button> <a href="/console/events.csv?{{filter.query}}">CSV of these events</a></form>
        <table><tr><th>#</th><th>At</th><th>Kind</th><th>Principal</th><th>Dataset</th><th>Job</th><th>Detail</th></tr>
        {{#events}}<tr><td class="num">{{index}}</td><td>{{at}}</td><td>{{kind}}</td><td>{{principal}}</td><td>{{dataset}}</td><td>{{job}}</td><td><code>{{detail}}</code></td></tr>{{/events}}</table>
        {{#next}}<p><a href="/console/home?{{filter.query}}&amp;after={{next}}">Next page</a></p>{{/next}}
        <h2>Usage in {{year}}</h2>
        <form method="get" action="/console/home"><label>Year <input type="number" name="year" value="{{year}}" min="2000" max="9999"></label> <button>Show</button></form>
        <p>{{totals.jobs}} jobs by {{totals.researchers}} {{totals.researcherNoun}}; {{totals.cellsSuppressed}} of {{totals.cellsReleased}} released values suppressed.
        <a href="/console/report.csv?year={{year}}">CSV of the report</a></p>
        <h3>Jobs per month, by status</h3>
        {{{monthsChart}}}
        <h3>Refusals and failures, by reason</h3>
        {{{reasonsChart}}}
        <h3>Per dataset</h3>
        {{{datasetsChart}}}
        <table><tr><th>Dataset</th><th>Jobs</th><th>Researchers</th><th>CPU s</th></tr>
        {{#datasets}}<tr><td>{{dataset}}</td><td class="num">{{jobs}}</td><td class="num">{{researchers}}</td><td class="num">{{cpuSeconds}}</td></tr>{{/datasets}}</table>
        <h2>Data doubts</h2>
        {{>doubts}}
        """,
        "denied": """
        <h1>{{heading}}</h1>
        <p>{{reason}}</p><p><a href="/console/home">Back to your page</a></p>
        """,
    ]
}
