import Foundation

/// Point estimates with their confidence intervals (survey results).
extension SVGChart {
    // MARK: - Point estimates with confidence intervals

    /// Horizontal dot-and-whisker plot: point estimate with its confidence interval per row,
    /// value text «62,3 % [58,1; 66,4]» and sample size. `referenceLines` draw vertical lines
    /// (e.g. the regional estimate).
    public static func confidenceIntervals(_ rows: [CIDatum], options: ChartOptions, labelWidthFraction: Double = 0.32) -> String {
        let kind = "ci"
        let fs = options.fontSize
        let finite = rows.filter { $0.estimate.isFinite }
        let rowH = max(fs * 2, 24)
        let height = options.height ?? (16 + Double(max(finite.count, 1)) * rowH + fs + 16)
        guard !finite.isEmpty else { return empty(options, kind: kind, height: options.height ?? 120) }
        let norm = finite.map { d -> CIDatum in
            var lo = d.low.isFinite ? d.low : d.estimate
            var hi = d.high.isFinite ? d.high : d.estimate
            if lo > hi { swap(&lo, &hi) }
            return CIDatum(label: d.label, estimate: d.estimate, low: min(lo, d.estimate), high: max(hi, d.estimate), n: d.n)
        }
        let scale: NiceScale
        if let dom = options.domain {
            scale = NiceScale(min: dom.lowerBound, max: dom.upperBound, maxTicks: 6)
        } else {
            let lo = norm.map(\.low).min() ?? 0
            let hi = norm.map(\.high).max() ?? 1
            let pad = (hi - lo) * 0.05
            scale = NiceScale(min: lo - pad, max: hi + pad, maxTicks: 6)
        }
        let labelW = max(60, options.width * min(max(labelWidthFraction, 0.1), 0.6))
        let valueText: (CIDatum) -> String = { d in
            "\(options.valueFormat.format(d.estimate)) [\(options.valueFormat.format(d.low)); \(options.valueFormat.format(d.high))]"
        }
        let valueReserve = options.showValues ? (finite.map { textWidth(valueText($0) + "  n=00000", fs - 1) }.max() ?? 120) + 8 : 12
        let plot = Plot(x: labelW + 12, y: 16, w: max(60, options.width - labelW - 12 - valueReserve - 8), h: height - 16 - fs - 16)
        let step = plot.h / Double(norm.count)
        let desc = "Оценки с 95-процентными доверительными интервалами: " +
            norm.prefix(15).map { "\($0.label) — \(valueText($0))" }.joined(separator: "; ")
        var s = open(options, kind: kind, height: height, autoDesc: desc)
        s += xGrid(scale, plot: plot, format: options.valueFormat, fontSize: fs)
        s += referenceLinesV(options.referenceLines, plot: plot, scale: scale, fontSize: fs)
        let maxChars = chars(fitting: labelW, fontSize: fs)
        let color = options.color ?? ChartPalette.primary
        for (i, d) in norm.enumerated() {
            let cy = plot.y + step * (Double(i) + 0.5)
            if i % 2 == 1 {
                s += "<rect x=\"0\" y=\"\(n(cy - step / 2))\" width=\"\(n(options.width))\" height=\"\(n(step))\" fill=\"#f5f7fa\" fill-opacity=\"0.6\"/>"
            }
            s += label(d.label, x: labelW, y: cy + fs * 0.35, maxChars: maxChars, anchor: "end", fontSize: fs)
            let x0 = plot.xFor(d.low, scale)
            let x1 = plot.xFor(d.high, scale)
            let xe = plot.xFor(d.estimate, scale)
            let tip = "\(d.label): \(valueText(d))" + (d.n.map { ", n = \(RuFormat.integer($0))" } ?? "")
            s += "<g><title>\(esc(tip))</title>"
            s += "<line x1=\"\(n(x0))\" x2=\"\(n(x1))\" y1=\"\(n(cy))\" y2=\"\(n(cy))\" stroke=\"\(attr(color))\" stroke-width=\"1.6\"/>"
            s += "<line x1=\"\(n(x0))\" x2=\"\(n(x0))\" y1=\"\(n(cy - 5))\" y2=\"\(n(cy + 5))\" stroke=\"\(attr(color))\" stroke-width=\"1.6\"/>"
            s += "<line x1=\"\(n(x1))\" x2=\"\(n(x1))\" y1=\"\(n(cy - 5))\" y2=\"\(n(cy + 5))\" stroke=\"\(attr(color))\" stroke-width=\"1.6\"/>"
            s += "<circle cx=\"\(n(xe))\" cy=\"\(n(cy))\" r=\"4.2\" fill=\"\(attr(color))\" stroke=\"#ffffff\" stroke-width=\"1\"/></g>"
            if options.showValues {
                var t = "<text x=\"\(n(plot.x + plot.w + 12))\" y=\"\(n(cy + fs * 0.35))\" font-size=\"\(n(fs - 1))\" fill=\"\(ChartPalette.text)\">\(esc(valueText(d)))"
                if let sz = d.n { t += "<tspan fill=\"\(ChartPalette.muted)\" dx=\"6\">n=\(esc(RuFormat.integer(sz)))</tspan>" }
                s += t + "</text>"
            }
        }
        return s + "</svg>"
    }
}
