import Foundation

/// Stacked bars: each category split by series, as counts or as shares.
extension SVGChart {
    // MARK: - Stacked bars

    /// Vertical stacked bar chart: one column per category, one segment per series.
    /// `normalized` stacks shares (each column sums to 100 %).
    public static func stackedBars(categories: [String], series: [ChartSeries], options: ChartOptions, normalized: Bool = false) -> String {
        let kind = "stack"
        let height = options.height ?? 280
        let fs = options.fontSize
        let totals = categories.indices.map { ci in
            series.reduce(0.0) { acc, sr in
                let v = ci < sr.values.count ? (sr.values[ci] ?? 0) : 0
                return acc + (v.isFinite && v > 0 ? v : 0)
            }
        }
        guard !categories.isEmpty, !series.isEmpty, totals.contains(where: { $0 > 0 }) else {
            return empty(options, kind: kind, height: height)
        }
        let format: ValueFormat = normalized ? .percent(0) : options.valueFormat
        let scale = normalized ? NiceScale(min: 0, max: 1, maxTicks: 6, includeZero: true)
            : valueScale(totals, options: options, includeZero: true)
        let left = axisLabelWidth(scale, format: format, fontSize: fs)
        let legendH = fs + 12
        let top = 12 + legendH + (options.showValues && !normalized ? fs + 2 : 0)
        let layout = CategoryAxisLayout(labels: categories, plotWidth: options.width - left - 12, fontSize: fs)
        let plot = Plot(x: left, y: top, w: options.width - left - 12, h: max(40, height - top - layout.height))

        var desc = "Диаграмма с накоплением: \(categories.count) категорий, ряды: " + series.map(\.name).joined(separator: ", ")
        desc += ". Итоги: " + zip(categories, totals).prefix(12).map { "\($0.0) — \(options.valueFormat.format($0.1))" }.joined(separator: "; ")
        var s = open(options, kind: kind, height: height, autoDesc: desc)
        s += legend(series.enumerated().map { ($0.element.name, $0.element.color ?? ChartPalette.color($0.offset)) }, x: plot.x, y: 10, width: plot.w, fontSize: fs)
        s += yGrid(scale, plot: plot, format: format, fontSize: fs)
        let band = plot.w / Double(categories.count)
        let barW = max(1, band * 0.64)
        for (ci, cat) in categories.enumerated() {
            let x = plot.x + band * Double(ci) + (band - barW) / 2
            var acc = 0.0
            let total = totals[ci]
            for (si, sr) in series.enumerated() {
                let raw = ci < sr.values.count ? (sr.values[ci] ?? 0) : 0
                let v = raw.isFinite && raw > 0 ? raw : 0
                guard v > 0 else { continue }
                let share = total > 0 ? v / total : 0
                let from = normalized ? acc / max(total, 1e-12) : acc
                let to = normalized ? (acc + v) / max(total, 1e-12) : acc + v
                acc += v
                let y0 = plot.yFor(from, scale)
                let y1 = plot.yFor(to, scale)
                let color = sr.color ?? ChartPalette.color(si)
                let tip = "\(cat) — \(sr.name): \(options.valueFormat.format(v)) (\(RuFormat.percent(share)))"
                s += "<rect x=\"\(n(x))\" y=\"\(n(y1))\" width=\"\(n(barW))\" height=\"\(n(max(0, y0 - y1)))\" fill=\"\(attr(color))\" stroke=\"#ffffff\" stroke-width=\"0.6\"><title>\(esc(tip))</title></rect>"
            }
            if options.showValues && !normalized {
                let text = options.valueFormat.format(total)
                if textWidth(text, fs - 1) <= band + 2 {
                    s += "<text x=\"\(n(x + barW / 2))\" y=\"\(n(plot.yFor(total, scale) - 4))\" text-anchor=\"middle\" font-size=\"\(n(fs - 1))\" fill=\"\(ChartPalette.text)\">\(esc(text))</text>"
                }
            }
        }
        s += "<line x1=\"\(n(plot.x))\" x2=\"\(n(plot.x + plot.w))\" y1=\"\(n(plot.y + plot.h))\" y2=\"\(n(plot.y + plot.h))\" stroke=\"\(ChartPalette.axis)\"/>"
        s += layout.render(plot: plot, band: band)
        return s + "</svg>"
    }
}
