/// Bar charts as inline SVG, drawn by the server so that the page needs no script and no
/// network. Written by hand: a few rectangles and labels, which no Swift package here draws.
enum ConsoleChart {
    /// One bar: its label and its segments, stacked in order, each a series and a count.
    struct Bar {
        var label: String
        var segments: [(series: String, count: Int)]
        var total: Int { segments.reduce(0) { $0 + $1.count } }
    }

    static let colors = ["released": "#2e7d32", "refused": "#c62828", "failed": "#ef6c00", "interrupted": "#6a1b9a"]

    /// Vertical stacked bars with a legend; a note instead when there is nothing to draw.
    static func stacked(_ bars: [Bar], title: String) -> String {
        guard let largest = bars.map(\.total).max(), largest > 0 else {
            return "<p class=\"muted\">Nothing recorded in this period.</p>"
        }
        // Each bar as wide as its longest label needs (about 7 px a character at 11 px).
        let barWidth = 40
        let gap = max(20, 7 * (bars.map(\.label.count).max() ?? 0) - barWidth + 10)
        let series = Array(Set(bars.flatMap { $0.segments.map(\.series) })).sorted()
        let (height, left, bottom) = (220, 50, 40)
        let width = max(left + gap + bars.count * (barWidth + gap), left + 110 * series.count) + 10
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height + 30)" role="img" aria-label="\(escaped(title))">
            <line x1="\(left)" y1="\(height - bottom)" x2="\(width - 10)" y2="\(height - bottom)" stroke="#888"/>
            <text x="\(left - 6)" y="20" text-anchor="end" font-size="11">\(largest)</text>
            <text x="\(left - 6)" y="\(height - bottom)" text-anchor="end" font-size="11">0</text>
            """
        let scale = Double(height - bottom - 20) / Double(largest)
        for (index, bar) in bars.enumerated() {
            let x = left + gap + index * (barWidth + gap)
            var y = Double(height - bottom)
            for segment in bar.segments where segment.count > 0 {
                let h = Double(segment.count) * scale
                y -= h
                svg += """
                    <rect x="\(x)" y="\(format(y))" width="\(barWidth)" height="\(format(h))" fill="\(colors[segment.series] ?? "#546e7a")">\
                    <title>\(escaped(bar.label)): \(segment.count) \(escaped(segment.series))</title></rect>
                    """
            }
            svg += """
                <text x="\(x + barWidth / 2)" y="\(height - bottom + 15)" text-anchor="middle" font-size="11">\(escaped(bar.label))</text>
                <text x="\(x + barWidth / 2)" y="\(format(y - 3))" text-anchor="middle" font-size="11">\(bar.total)</text>
                """
        }
        for (index, name) in series.enumerated() {
            let x = left + index * 110
            svg += """
                <rect x="\(x)" y="\(height + 8)" width="12" height="12" fill="\(colors[name] ?? "#546e7a")"/>\
                <text x="\(x + 16)" y="\(height + 18)" font-size="12">\(escaped(name))</text>
                """
        }
        return svg + "</svg>"
    }

    /// Text for SVG (XML): the five characters that would end or change markup, escaped.
    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A coordinate to a tenth of a pixel.
    private static func format(_ value: Double) -> String {
        let tenths = (value * 10).rounded()
        return tenths == 0 ? "0" : String(tenths / 10)
    }
}
