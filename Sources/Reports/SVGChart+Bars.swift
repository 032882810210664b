import Foundation

/// Bar charts: vertical (categories along the axis) and horizontal (rows grow with the data).
extension SVGChart {
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
}
