import Foundation

/// Line charts: series over labelled points, and the sparkline of one series.
extension SVGChart {
    // MARK: - Line chart

    /// Line chart with y-axis nice ticks, gridlines and thinned x labels. `nil` values break the line.
    public static func lineChart(series: [ChartSeries], xLabels: [String], options: ChartOptions, includeZero: Bool = true) -> String {
        let kind = "line"
        let height = options.height ?? 260
        let count = max(xLabels.count, series.map(\.values.count).max() ?? 0)
        let allValues = series.flatMap { $0.values.compactMap { $0 } }.filter(\.isFinite)
        guard count > 0, !allValues.isEmpty else { return empty(options, kind: kind, height: height) }
        let fs = options.fontSize
        let scale = valueScale(allValues + options.referenceLines.map(\.value), options: options, includeZero: includeZero)
        let left = axisLabelWidth(scale, format: options.valueFormat, fontSize: fs)
        let legendH = series.count > 1 ? fs + 12 : 0
        let top = 12 + legendH
        let bottom = fs + 14
        let plot = Plot(x: left, y: top, w: options.width - left - 16, h: max(40, height - top - bottom))

        var desc = "Линейный график, \(count) точек"
        for sr in series.prefix(4) {
            let vals = sr.values.compactMap { $0 }.filter(\.isFinite)
            if let mn = vals.min(), let mx = vals.max() {
                desc += "; \(sr.name): от \(options.valueFormat.format(mn)) до \(options.valueFormat.format(mx))"
            }
        }
        var s = open(options, kind: kind, height: height, autoDesc: desc)
        if series.count > 1 { s += legend(series.enumerated().map { ($0.element.name, $0.element.color ?? ChartPalette.color($0.offset)) }, x: plot.x, y: 10, width: plot.w, fontSize: fs) }
        s += yGrid(scale, plot: plot, format: options.valueFormat, fontSize: fs)
        func xAt(_ i: Int) -> Double {
            count == 1 ? plot.x + plot.w / 2 : plot.x + plot.w * Double(i) / Double(count - 1)
        }
        // x labels, thinned to fit.
        let maxLen = xLabels.map(\.count).max() ?? 1
        let slot = textWidth(String(repeating: "0", count: max(maxLen, 2)), fs - 1) + 10
        let maxLabels = max(1, Int(plot.w / slot))
        let every = max(1, Int((Double(count) / Double(maxLabels)).rounded(.up)))
        s += "<g font-size=\"\(n(fs - 1))\" fill=\"\(ChartPalette.muted)\" text-anchor=\"middle\">"
        for (i, lbl) in xLabels.enumerated() where i % every == 0 {
            s += "<line x1=\"\(n(xAt(i)))\" x2=\"\(n(xAt(i)))\" y1=\"\(n(plot.y + plot.h))\" y2=\"\(n(plot.y + plot.h + 4))\" stroke=\"\(ChartPalette.axis)\"/>"
            s += "<text x=\"\(n(xAt(i)))\" y=\"\(n(plot.y + plot.h + fs + 5))\">\(esc(truncate(lbl, max(3, Int(slot * Double(every) / ((fs - 1) * glyphRatio))))))</text>"
        }
        s += "</g>"
        s += "<line x1=\"\(n(plot.x))\" x2=\"\(n(plot.x + plot.w))\" y1=\"\(n(plot.y + plot.h))\" y2=\"\(n(plot.y + plot.h))\" stroke=\"\(ChartPalette.axis)\"/>"
        s += referenceLinesH(options.referenceLines, plot: plot, scale: scale, fontSize: fs)
        for (si, sr) in series.enumerated() {
            let color = sr.color ?? (series.count == 1 ? options.color : nil) ?? ChartPalette.color(si)
            var segments: [[(Int, Double)]] = [[]]
            for (i, v) in sr.values.enumerated() {
                if let v, v.isFinite { segments[segments.count - 1].append((i, v)) } else if !(segments.last?.isEmpty ?? true) { segments.append([]) }
            }
            for seg in segments where !seg.isEmpty {
                let pts = seg.map { "\(n(xAt($0.0))),\(n(plot.yFor($0.1, scale)))" }.joined(separator: " ")
                s += "<polyline points=\"\(pts)\" fill=\"none\" stroke=\"\(attr(color))\" stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>"
            }
            if count <= 62 {
                s += "<g fill=\"\(attr(color))\">"
                for (i, v) in sr.values.enumerated() {
                    guard let v, v.isFinite else { continue }
                    let lbl = i < xLabels.count ? xLabels[i] : String(i + 1)
                    s += "<circle cx=\"\(n(xAt(i)))\" cy=\"\(n(plot.yFor(v, scale)))\" r=\"2.6\"><title>\(esc("\(sr.name) — \(lbl): \(options.valueFormat.format(v))"))</title></circle>"
                }
                s += "</g>"
            }
        }
        return s + "</svg>"
    }

    // MARK: - Sparkline

    /// Compact trend line without axes (KPI cards). The last point is marked.
    public static func sparkline(_ values: [Double], title: String, width: Double = 120, height: Double = 32,
                                 color: String = ChartPalette.primary, id: String? = nil) -> String {
        let opts = ChartOptions(title: title, id: id, width: width, height: height, showValues: false)
        let vals = values.filter(\.isFinite)
        let desc: String
        if let first = vals.first, let last = vals.last {
            desc = "Динамика: от \(RuFormat.number(first, fractionDigits: 1, trimZeros: true)) до \(RuFormat.number(last, fractionDigits: 1, trimZeros: true)), точек: \(vals.count)"
        } else {
            desc = noDataText
        }
        var s = open(opts, kind: "spark", height: height, autoDesc: desc, decorated: false)
        guard vals.count >= 1 else {
            s += "<line x1=\"2\" x2=\"\(n(width - 2))\" y1=\"\(n(height / 2))\" y2=\"\(n(height / 2))\" stroke=\"\(ChartPalette.axis)\" stroke-dasharray=\"3 3\"/>"
            return s + "</svg>"
        }
        let lo = vals.min() ?? 0
        let hi = vals.max() ?? 0
        let pad = 3.0
        func x(_ i: Int) -> Double { vals.count == 1 ? width / 2 : pad + (width - 2 * pad) * Double(i) / Double(vals.count - 1) }
        func y(_ v: Double) -> Double { hi == lo ? height / 2 : pad + (height - 2 * pad) * (1 - (v - lo) / (hi - lo)) }
        let pts = vals.enumerated().map { "\(n(x($0.offset))),\(n(y($0.element)))" }
        if vals.count > 1 {
            let area = "M\(n(x(0))),\(n(height - pad)) L" + pts.joined(separator: " L") + " L\(n(x(vals.count - 1))),\(n(height - pad)) Z"
            s += "<path d=\"\(area)\" fill=\"\(attr(color))\" fill-opacity=\"0.12\"/>"
            s += "<polyline points=\"\(pts.joined(separator: " "))\" fill=\"none\" stroke=\"\(attr(color))\" stroke-width=\"1.6\" stroke-linejoin=\"round\"/>"
        }
        if let last = vals.last {
            s += "<circle cx=\"\(n(x(vals.count - 1)))\" cy=\"\(n(y(last)))\" r=\"2.4\" fill=\"\(attr(color))\"/>"
        }
        return s + "</svg>"
    }
}
