import Foundation

/// Reusable inline-SVG chart primitives. Every function returns a self-contained, well-formed
/// `<svg>` element (XML), with `<title>`/`<desc>` for accessibility, escaped text and deterministic
/// output (same input → byte-identical SVG). Empty or all-zero data renders a «Нет данных» placeholder.
public enum SVGChart {
    static let fontFamily = "'PT Sans','Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif"
    /// Approximate average glyph width relative to font size (Cyrillic sans-serif).
    static let glyphRatio = 0.58
    public static let noDataText = "Нет данных"

    // MARK: - Vertical bars

    /// Vertical bar chart (columns). Negative values grow downwards from the zero line.
    public static func verticalBars(_ data: [ChartDatum], options: ChartOptions) -> String {
        let kind = "vbar"
        let height = options.height ?? 260
        let finite = data.filter { $0.value.isFinite }
        guard !finite.isEmpty else { return empty(options, kind: kind, height: height) }
        let fs = options.fontSize
        let values = finite.map(\.value)
        let scale = valueScale(values + options.referenceLines.map(\.value), options: options, includeZero: true)
        let left = axisLabelWidth(scale, format: options.valueFormat, fontSize: fs)
        let layout = CategoryAxisLayout(labels: finite.map(\.label), plotWidth: options.width - left - 12, fontSize: fs)
        let top = options.showValues ? fs + 8 : 10
        let bottom = layout.height
        let plotH = max(40, height - top - bottom)
        let plot = Plot(x: left, y: top, w: options.width - left - 12, h: plotH)

        var s = open(options, kind: kind, height: height, autoDesc: describe(finite, options.valueFormat, "Столбчатая диаграмма"))
        s += yGrid(scale, plot: plot, format: options.valueFormat, fontSize: fs)
        let zeroY = plot.yFor(0, scale)
        let band = plot.w / Double(finite.count)
        let barW = max(1, band * 0.68)
        for (i, d) in finite.enumerated() {
            let x = plot.x + band * Double(i) + (band - barW) / 2
            let y = plot.yFor(d.value, scale)
            let color = d.color ?? options.color ?? ChartPalette.primary
            let tip = "\(d.label): \(options.valueFormat.format(d.value))"
            s += "<rect x=\"\(n(x))\" y=\"\(n(min(y, zeroY)))\" width=\"\(n(barW))\" height=\"\(n(abs(zeroY - y)))\" fill=\"\(attr(color))\" rx=\"1.5\"><title>\(esc(tip))</title></rect>"
            if options.showValues {
                let text = options.valueFormat.format(d.value)
                if textWidth(text, fs - 1) <= band + 2 {
                    let ty = d.value >= 0 ? y - 4 : y + fs + 2
                    s += "<text x=\"\(n(x + barW / 2))\" y=\"\(n(ty))\" text-anchor=\"middle\" font-size=\"\(n(fs - 1))\" fill=\"\(ChartPalette.text)\">\(esc(text))</text>"
                }
            }
        }
        s += "<line x1=\"\(n(plot.x))\" x2=\"\(n(plot.x + plot.w))\" y1=\"\(n(zeroY))\" y2=\"\(n(zeroY))\" stroke=\"\(ChartPalette.axis)\"/>"
        s += layout.render(plot: plot, band: band)
        s += referenceLinesH(options.referenceLines, plot: plot, scale: scale, fontSize: fs)
        return s + "</svg>"
    }

    // MARK: - Horizontal bars

    /// Horizontal bar chart; the height grows with the number of rows unless fixed in options.
    public static func horizontalBars(_ data: [ChartDatum], options: ChartOptions, labelWidthFraction: Double = 0.36) -> String {
        let kind = "hbar"
        let finite = data.filter { $0.value.isFinite }
        let fs = options.fontSize
        let rowH = max(fs * 2, 22)
        let autoH = 12 + Double(max(finite.count, 1)) * rowH + fs + 14
        let height = options.height ?? autoH
        guard !finite.isEmpty else { return empty(options, kind: kind, height: options.height ?? 120) }
        let scale = valueScale(finite.map(\.value) + options.referenceLines.map(\.value), options: options, includeZero: true)
        let labelW = max(60, options.width * min(max(labelWidthFraction, 0.1), 0.6))
        let valueReserve = options.showValues ? max(56, finite.map { textWidth(options.valueFormat.format($0.value), fs) }.max() ?? 0) + 10 : 12
        let plot = Plot(x: labelW + 8, y: 12, w: max(40, options.width - labelW - 8 - valueReserve), h: height - 12 - fs - 14)
        let rowStep = plot.h / Double(finite.count)
        let barH = min(rowStep * 0.62, 18)

        var s = open(options, kind: kind, height: height, autoDesc: describe(finite, options.valueFormat, "Линейчатая диаграмма"))
        s += xGrid(scale, plot: plot, format: options.valueFormat, fontSize: fs)
        let zeroX = plot.xFor(0, scale)
        let maxChars = chars(fitting: labelW, fontSize: fs)
        for (i, d) in finite.enumerated() {
            let cy = plot.y + rowStep * (Double(i) + 0.5)
            let x = plot.xFor(d.value, scale)
            let color = d.color ?? options.color ?? ChartPalette.primary
            let tip = "\(d.label): \(options.valueFormat.format(d.value))"
            s += label(d.label, x: labelW, y: cy + fs * 0.35, maxChars: maxChars, anchor: "end", fontSize: fs)
            s += "<rect x=\"\(n(min(x, zeroX)))\" y=\"\(n(cy - barH / 2))\" width=\"\(n(abs(x - zeroX)))\" height=\"\(n(barH))\" fill=\"\(attr(color))\" rx=\"1.5\"><title>\(esc(tip))</title></rect>"
            if options.showValues {
                let tx = d.value >= 0 ? max(x, zeroX) + 5 : max(x, zeroX) + 5
                s += "<text x=\"\(n(tx))\" y=\"\(n(cy + fs * 0.35))\" font-size=\"\(n(fs))\" fill=\"\(ChartPalette.text)\">\(esc(options.valueFormat.format(d.value)))</text>"
            }
        }
        s += "<line x1=\"\(n(zeroX))\" x2=\"\(n(zeroX))\" y1=\"\(n(plot.y))\" y2=\"\(n(plot.y + plot.h))\" stroke=\"\(ChartPalette.axis)\"/>"
        s += referenceLinesV(options.referenceLines, plot: plot, scale: scale, fontSize: fs)
        return s + "</svg>"
    }

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

    // MARK: - Donut / pie

    /// Donut (or pie when `innerRadiusRatio` is 0) with a legend showing value and share.
    /// Zero and negative values are omitted from the ring but kept in the legend.
    public static func donut(_ data: [ChartDatum], options: ChartOptions, innerRadiusRatio: Double = 0.58, centerLabel: String? = nil) -> String {
        let kind = "donut"
        let fs = options.fontSize
        let rows = data.filter { $0.value.isFinite }
        let legendRowH = fs + 8
        let height = options.height ?? max(200, Double(rows.count) * legendRowH + 24)
        let total = rows.reduce(0.0) { $0 + max(0, $1.value) }
        guard total > 0 else { return empty(options, kind: kind, height: options.height ?? 200) }
        let r = min(height / 2 - 10, options.width * 0.22)
        let cx = r + 10
        let cy = height / 2
        let ri = r * min(max(innerRadiusRatio, 0), 0.95)

        let desc = "Кольцевая диаграмма, всего \(options.valueFormat.format(total)): " +
            rows.prefix(12).map { "\($0.label) — \(options.valueFormat.format($0.value)) (\(RuFormat.percent(max(0, $0.value) / total)))" }.joined(separator: "; ")
        var s = open(options, kind: kind, height: height, autoDesc: desc)
        var angle = -Double.pi / 2
        for (i, d) in rows.enumerated() {
            let v = max(0, d.value)
            guard v > 0 else { continue }
            let share = v / total
            let color = d.color ?? ChartPalette.color(i)
            let tip = "\(d.label): \(options.valueFormat.format(d.value)) (\(RuFormat.percent(share)))"
            let path: String
            if share >= 0.99999 {
                // Full ring: two half arcs (a single arc cannot start and end at the same point).
                if ri > 0 {
                    path = "M\(n(cx + r)),\(n(cy)) A\(n(r)),\(n(r)) 0 1 1 \(n(cx - r)),\(n(cy)) A\(n(r)),\(n(r)) 0 1 1 \(n(cx + r)),\(n(cy)) Z M\(n(cx + ri)),\(n(cy)) A\(n(ri)),\(n(ri)) 0 1 0 \(n(cx - ri)),\(n(cy)) A\(n(ri)),\(n(ri)) 0 1 0 \(n(cx + ri)),\(n(cy)) Z"
                } else {
                    path = "M\(n(cx + r)),\(n(cy)) A\(n(r)),\(n(r)) 0 1 1 \(n(cx - r)),\(n(cy)) A\(n(r)),\(n(r)) 0 1 1 \(n(cx + r)),\(n(cy)) Z"
                }
            } else {
                let a0 = angle
                let a1 = angle + share * 2 * Double.pi
                let large = share > 0.5 ? 1 : 0
                let (ox0, oy0) = (cx + r * cos(a0), cy + r * sin(a0))
                let (ox1, oy1) = (cx + r * cos(a1), cy + r * sin(a1))
                if ri > 0 {
                    let (ix0, iy0) = (cx + ri * cos(a0), cy + ri * sin(a0))
                    let (ix1, iy1) = (cx + ri * cos(a1), cy + ri * sin(a1))
                    path = "M\(n(ox0)),\(n(oy0)) A\(n(r)),\(n(r)) 0 \(large) 1 \(n(ox1)),\(n(oy1)) L\(n(ix1)),\(n(iy1)) A\(n(ri)),\(n(ri)) 0 \(large) 0 \(n(ix0)),\(n(iy0)) Z"
                } else {
                    path = "M\(n(cx)),\(n(cy)) L\(n(ox0)),\(n(oy0)) A\(n(r)),\(n(r)) 0 \(large) 1 \(n(ox1)),\(n(oy1)) Z"
                }
            }
            angle += share * 2 * Double.pi
            s += "<path d=\"\(path)\" fill=\"\(attr(color))\" fill-rule=\"evenodd\" stroke=\"#ffffff\" stroke-width=\"1\"><title>\(esc(tip))</title></path>"
        }
        if ri > 0 {
            s += "<text x=\"\(n(cx))\" y=\"\(n(cy + 2))\" text-anchor=\"middle\" font-size=\"\(n(fs + 5))\" font-weight=\"700\" fill=\"\(ChartPalette.text)\">\(esc(options.valueFormat.format(total)))</text>"
            s += "<text x=\"\(n(cx))\" y=\"\(n(cy + fs + 4))\" text-anchor=\"middle\" font-size=\"\(n(fs - 1))\" fill=\"\(ChartPalette.muted)\">\(esc(centerLabel ?? "всего"))</text>"
        }
        // Legend.
        let lx = cx + r + 20
        let legendW = options.width - lx - 4
        let valueColW = 110.0
        let ly0 = cy - Double(rows.count) * legendRowH / 2 + legendRowH / 2
        let maxChars = chars(fitting: legendW - valueColW - 18, fontSize: fs)
        for (i, d) in rows.enumerated() {
            let y = ly0 + Double(i) * legendRowH
            let color = d.color ?? ChartPalette.color(i)
            s += "<rect x=\"\(n(lx))\" y=\"\(n(y - fs * 0.75))\" width=\"\(n(fs - 2))\" height=\"\(n(fs - 2))\" rx=\"2\" fill=\"\(attr(color))\"/>"
            s += label(d.label, x: lx + fs + 4, y: y, maxChars: maxChars, anchor: "start", fontSize: fs)
            let share = RuFormat.percent(max(0, d.value) / total)
            s += "<text x=\"\(n(options.width - 4))\" y=\"\(n(y))\" text-anchor=\"end\" font-size=\"\(n(fs))\" fill=\"\(ChartPalette.text)\">\(esc(options.valueFormat.format(d.value)))<tspan fill=\"\(ChartPalette.muted)\" dx=\"6\">\(esc(share))</tspan></text>"
        }
        return s + "</svg>"
    }

    /// Pie chart (a donut without a hole).
    public static func pie(_ data: [ChartDatum], options: ChartOptions) -> String {
        donut(data, options: options, innerRadiusRatio: 0)
    }

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

    // MARK: - Internals

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
