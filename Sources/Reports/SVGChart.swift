import Foundation

/// Reusable inline-SVG chart primitives. Every function returns a self-contained, well-formed
/// `<svg>` element (XML), with `<title>`/`<desc>` for accessibility, escaped text and deterministic
/// output (same input → byte-identical SVG). Empty or all-zero data renders a «Нет данных» placeholder.
public enum SVGChart {
    static let fontFamily = "'PT Sans','Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif"
    /// Approximate average glyph width relative to font size (Cyrillic sans-serif).
    static let glyphRatio = 0.58
    public static let noDataText = "Нет данных"

    // MARK: - Layout shared by the charts (one kind of chart per file: SVGChart+Bars, +Lines, +Stacked, +Donut, +Intervals)

    struct Plot {
        let x: Double, y: Double, w: Double, h: Double
        func yFor(_ v: Double, _ s: NiceScale) -> Double { y + h * (1 - s.fraction(v)) }
        func xFor(_ v: Double, _ s: NiceScale) -> Double { x + w * s.fraction(v) }
    }

    /// Layout of category labels under vertical bars: straight (truncated to the band) or
    /// rotated −40° when the bands are narrow, thinned when even rotated labels would overlap.
    struct CategoryAxisLayout {
        enum Mode { case straight, wrapped, rotated }
        let labels: [String]
        let fontSize: Double
        let mode: Mode
        let every: Int
        let maxChars: Int
        let height: Double

        init(labels: [String], plotWidth: Double, fontSize: Double) {
            self.labels = labels
            self.fontSize = fontSize
            let band = plotWidth / Double(max(labels.count, 1))
            let fitChars = SVGChart.chars(fitting: band - 4, fontSize: fontSize - 1)
            let longest = labels.map(\.count).max() ?? 0
            let wrapOK = fitChars >= 5 && labels.allSatisfy { CategoryAxisLayout.wrap($0, fitChars).count <= 2 }
            if longest <= fitChars {
                mode = .straight
                every = 1
                maxChars = max(1, fitChars)
                height = fontSize + 14
            } else if wrapOK {
                mode = .wrapped
                every = 1
                maxChars = fitChars
                height = 2 * fontSize + 14
            } else if fitChars >= 14 {
                mode = .straight
                every = 1
                maxChars = fitChars
                height = fontSize + 14
            } else {
                mode = .rotated
                every = max(1, Int(((fontSize + 2) / max(band, 1)).rounded(.up)))
                maxChars = min(max(longest, 3), 16)
                height = min(Double(min(longest, 16)) * (fontSize - 1) * SVGChart.glyphRatio * 0.77 + fontSize + 12, 120)
            }
        }

        /// Greedy word wrap; a word longer than the line makes the label unwrappable (returns 3 lines).
        static func wrap(_ text: String, _ width: Int) -> [String] {
            var lines: [String] = []
            var current = ""
            for word in text.split(separator: " ") {
                if word.count > width { return ["", "", ""] }
                if current.isEmpty {
                    current = String(word)
                } else if current.count + 1 + word.count <= width {
                    current += " " + word
                } else {
                    lines.append(current)
                    current = String(word)
                }
            }
            if !current.isEmpty { lines.append(current) }
            return lines
        }

        func render(plot: Plot, band: Double) -> String {
            var s = "<g font-size=\"\(SVGChart.n(fontSize - 1))\" fill=\"\(ChartPalette.muted)\">"
            for (i, lbl) in labels.enumerated() where i % every == 0 {
                let x = plot.x + band * (Double(i) + 0.5)
                let y = plot.y + plot.h + fontSize + 3
                switch mode {
                case .rotated:
                    s += SVGChart.label(lbl, x: x + 3, y: y - 3, maxChars: maxChars, anchor: "end", fontSize: fontSize - 1,
                                        extra: " transform=\"rotate(-40 \(SVGChart.n(x + 3)) \(SVGChart.n(y - 3)))\"", fill: nil)
                case .wrapped:
                    let lines = CategoryAxisLayout.wrap(lbl, maxChars)
                    if lines.count <= 1 {
                        s += SVGChart.label(lbl, x: x, y: y, maxChars: maxChars, anchor: "middle", fontSize: fontSize - 1, fill: nil)
                    } else {
                        s += "<text x=\"\(SVGChart.n(x))\" y=\"\(SVGChart.n(y))\" text-anchor=\"middle\">"
                        for (li, line) in lines.enumerated() {
                            s += "<tspan x=\"\(SVGChart.n(x))\" dy=\"\(li == 0 ? "0" : SVGChart.n(fontSize))\">\(SVGChart.esc(line))</tspan>"
                        }
                        s += "</text>"
                    }
                case .straight:
                    s += SVGChart.label(lbl, x: x, y: y, maxChars: maxChars, anchor: "middle", fontSize: fontSize - 1, fill: nil)
                }
            }
            return s + "</g>"
        }
    }

    static func n(_ x: Double) -> String { SVGNum.f(x) }
    static func esc(_ s: String) -> String { Escape.html(s) }
    static func attr(_ s: String) -> String { Escape.html(s) }

    static func textWidth(_ s: String, _ fontSize: Double) -> Double {
        Double(s.count) * fontSize * glyphRatio
    }

    static func chars(fitting width: Double, fontSize: Double) -> Int {
        max(1, Int(width / (fontSize * glyphRatio)))
    }

    /// Truncates to `maxChars` characters (grapheme clusters) with an ellipsis.
    public static func truncate(_ text: String, _ maxChars: Int) -> String {
        let limit = max(1, maxChars)
        guard text.count > limit else { return text }
        var head = String(text.prefix(limit - 1))
        while head.last?.isWhitespace == true || head.last == "," || head.last == "." { head.removeLast() }
        return head + "…"
    }

    /// A text label; when truncated, the full text is kept in a child `<title>` (tooltip, a11y).
    static func label(_ text: String, x: Double, y: Double, maxChars: Int, anchor: String, fontSize: Double,
                      extra: String = "", fill: String? = ChartPalette.text) -> String {
        let shown = truncate(text, maxChars)
        let fillAttr = fill.map { " fill=\"\($0)\"" } ?? ""
        var s = "<text x=\"\(n(x))\" y=\"\(n(y))\" text-anchor=\"\(anchor)\" font-size=\"\(n(fontSize))\"\(fillAttr)\(extra)>"
        if shown != text { s += "<title>\(esc(text))</title>" }
        return s + esc(shown) + "</text>"
    }

    static func baseId(_ options: ChartOptions, kind: String) -> String {
        if let id = options.id, !id.isEmpty { return Escape.identifier(id) }
        return "chart-\(kind)-" + Escape.fnv(options.title + "|" + kind + "|" + SVGNum.f(options.width))
    }

    static func open(_ options: ChartOptions, kind: String, height: Double, autoDesc: String, decorated: Bool = true) -> String {
        let id = baseId(options, kind: kind)
        let w = n(options.width)
        let h = n(height)
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart chart-\(kind)\" id=\"\(id)\" viewBox=\"0 0 \(w) \(h)\" width=\"\(w)\" height=\"\(h)\" role=\"img\" aria-labelledby=\"\(id)-title \(id)-desc\" font-family=\"\(fontFamily)\" font-size=\"\(n(options.fontSize))\">"
        s += "<title id=\"\(id)-title\">\(esc(options.title))</title>"
        s += "<desc id=\"\(id)-desc\">\(esc(options.description ?? autoDesc))</desc>"
        _ = decorated
        return s
    }

    static func empty(_ options: ChartOptions, kind: String, height: Double) -> String {
        var s = open(options, kind: kind, height: height, autoDesc: noDataText)
        s += "<rect x=\"0.5\" y=\"0.5\" width=\"\(n(options.width - 1))\" height=\"\(n(height - 1))\" fill=\"#fafbfc\" stroke=\"\(ChartPalette.grid)\" stroke-dasharray=\"4 3\" rx=\"4\"/>"
        s += "<text x=\"\(n(options.width / 2))\" y=\"\(n(height / 2 + options.fontSize * 0.35))\" text-anchor=\"middle\" fill=\"\(ChartPalette.muted)\" font-size=\"\(n(options.fontSize + 1))\">\(noDataText)</text>"
        return s + "</svg>"
    }

    static func valueScale(_ values: [Double], options: ChartOptions, includeZero: Bool) -> NiceScale {
        if let dom = options.domain {
            return NiceScale(min: dom.lowerBound, max: dom.upperBound, maxTicks: 6, includeZero: includeZero)
        }
        let finite = values.filter(\.isFinite)
        return NiceScale(min: finite.min() ?? 0, max: finite.max() ?? 0, maxTicks: 6, includeZero: includeZero)
    }

    static func axisLabelWidth(_ scale: NiceScale, format: ValueFormat, fontSize: Double) -> Double {
        let longest = scale.ticks.map { format.tick($0, step: scale.step).count }.max() ?? 1
        return max(28, Double(longest) * (fontSize - 1) * glyphRatio + 12)
    }

    static func yGrid(_ scale: NiceScale, plot: Plot, format: ValueFormat, fontSize: Double) -> String {
        var s = "<g font-size=\"\(n(fontSize - 1))\" fill=\"\(ChartPalette.muted)\" text-anchor=\"end\">"
        for t in scale.ticks {
            let y = plot.yFor(t, scale)
            s += "<line x1=\"\(n(plot.x))\" x2=\"\(n(plot.x + plot.w))\" y1=\"\(n(y))\" y2=\"\(n(y))\" stroke=\"\(ChartPalette.grid)\"/>"
            s += "<text x=\"\(n(plot.x - 6))\" y=\"\(n(y + (fontSize - 1) * 0.35))\">\(esc(format.tick(t, step: scale.step)))</text>"
        }
        return s + "</g>"
    }

    static func xGrid(_ scale: NiceScale, plot: Plot, format: ValueFormat, fontSize: Double) -> String {
        var s = "<g font-size=\"\(n(fontSize - 1))\" fill=\"\(ChartPalette.muted)\" text-anchor=\"middle\">"
        for t in scale.ticks {
            let x = plot.xFor(t, scale)
            s += "<line x1=\"\(n(x))\" x2=\"\(n(x))\" y1=\"\(n(plot.y))\" y2=\"\(n(plot.y + plot.h))\" stroke=\"\(ChartPalette.grid)\"/>"
            s += "<text x=\"\(n(x))\" y=\"\(n(plot.y + plot.h + fontSize + 2))\">\(esc(format.tick(t, step: scale.step)))</text>"
        }
        return s + "</g>"
    }

    static func referenceLinesH(_ lines: [ReferenceLine], plot: Plot, scale: NiceScale, fontSize: Double) -> String {
        var s = ""
        for line in lines where line.value.isFinite {
            let y = plot.yFor(line.value, scale)
            let color = line.color ?? ChartPalette.bad
            s += "<g><title>\(esc(line.label))</title><line x1=\"\(n(plot.x))\" x2=\"\(n(plot.x + plot.w))\" y1=\"\(n(y))\" y2=\"\(n(y))\" stroke=\"\(attr(color))\" stroke-width=\"1.2\" stroke-dasharray=\"5 4\"/>"
            s += label(line.label, x: plot.x + plot.w - 2, y: y - 4, maxChars: chars(fitting: plot.w / 2, fontSize: fontSize - 1), anchor: "end", fontSize: fontSize - 1, fill: color) + "</g>"
        }
        return s
    }

    static func referenceLinesV(_ lines: [ReferenceLine], plot: Plot, scale: NiceScale, fontSize: Double) -> String {
        var s = ""
        for line in lines where line.value.isFinite {
            let x = plot.xFor(line.value, scale)
            let color = line.color ?? ChartPalette.bad
            s += "<g><title>\(esc(line.label))</title><line x1=\"\(n(x))\" x2=\"\(n(x))\" y1=\"\(n(plot.y - 6))\" y2=\"\(n(plot.y + plot.h))\" stroke=\"\(attr(color))\" stroke-width=\"1.2\" stroke-dasharray=\"5 4\"/>"
            s += label(line.label, x: x + 4, y: plot.y - 4, maxChars: chars(fitting: plot.w / 2, fontSize: fontSize - 1), anchor: "start", fontSize: fontSize - 1, fill: color) + "</g>"
        }
        return s
    }

    static func legend(_ items: [(String, String)], x: Double, y: Double, width: Double, fontSize: Double) -> String {
        var s = "<g font-size=\"\(n(fontSize - 1))\" fill=\"\(ChartPalette.text)\">"
        var cx = x
        var cy = y
        let maxChars = 28
        for (name, color) in items {
            let shown = truncate(name, maxChars)
            let w = fontSize + 4 + textWidth(shown, fontSize - 1) + 14
            if cx + w > x + width && cx > x {
                cx = x
                cy += fontSize + 4
            }
            s += "<rect x=\"\(n(cx))\" y=\"\(n(cy - fontSize * 0.5))\" width=\"\(n(fontSize - 3))\" height=\"\(n(fontSize - 3))\" rx=\"2\" fill=\"\(attr(color))\"/>"
            s += label(name, x: cx + fontSize + 1, y: cy + fontSize * 0.3, maxChars: maxChars, anchor: "start", fontSize: fontSize - 1, fill: nil)
            cx += w
        }
        return s + "</g>"
    }

    static func describe(_ data: [ChartDatum], _ format: ValueFormat, _ prefix: String) -> String {
        var parts = data.prefix(15).map { "\($0.label) — \(format.format($0.value))" }
        if data.count > 15 { parts.append("и ещё \(data.count - 15)") }
        return prefix + ": " + parts.joined(separator: "; ")
    }
}
