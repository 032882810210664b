import Foundation

/// Donut and pie charts of parts of a whole.
extension SVGChart {
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
}
