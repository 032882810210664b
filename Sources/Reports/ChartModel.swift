import Foundation

/// One labelled value of a bar / donut chart.
public struct ChartDatum: Sendable, Hashable {
    public var label: String
    public var value: Double
    /// CSS colour (e.g. "#1f5fa8"); `nil` → palette colour by position.
    public var color: String?

    public init(_ label: String, _ value: Double, color: String? = nil) {
        self.label = label
        self.value = value
        self.color = color
    }
}

/// A named series of a line or stacked bar chart. `nil` values are gaps (line) or zeros (stack).
public struct ChartSeries: Sendable, Hashable {
    public var name: String
    public var values: [Double?]
    public var color: String?

    public init(name: String, values: [Double?], color: String? = nil) {
        self.name = name
        self.values = values
        self.color = color
    }
}

/// A horizontal (line / bar charts) or vertical (CI plot) reference line, e.g. a target.
public struct ReferenceLine: Sendable, Hashable {
    public var value: Double
    public var label: String
    public var color: String?

    public init(value: Double, label: String, color: String? = nil) {
        self.value = value
        self.label = label
        self.color = color
    }
}

/// Point estimate with a confidence interval (survey results).
public struct CIDatum: Sendable, Hashable {
    public var label: String
    public var estimate: Double
    public var low: Double
    public var high: Double
    /// Unweighted sample size behind the estimate.
    public var n: Int?

    public init(label: String, estimate: Double, low: Double, high: Double, n: Int? = nil) {
        self.label = label
        self.estimate = estimate
        self.low = low
        self.high = high
        self.n = n
    }
}

/// Common chart options. Sizes are SVG user units (the SVG scales to its container via CSS).
public struct ChartOptions: Sendable, Hashable {
    /// Accessible title (rendered as `<title>`); required for accessibility.
    public var title: String
    /// Accessible description (`<desc>`); `nil` → generated from the data.
    public var description: String?
    /// Element id (sanitised); `nil` → deterministic id derived from the title and chart kind.
    public var id: String?
    public var width: Double
    /// `nil` → chart-specific default (horizontal charts grow with the number of rows).
    public var height: Double?
    public var valueFormat: ValueFormat
    /// Single colour for all bars/points; `nil` → chart-specific default.
    public var color: String?
    /// Print values next to bars / points.
    public var showValues: Bool
    /// Reference lines (targets, averages).
    public var referenceLines: [ReferenceLine]
    /// Fixed value domain (e.g. 0…1 for shares); `nil` → nice scale over the data.
    public var domain: ClosedRange<Double>?
    /// Font size of labels.
    public var fontSize: Double

    public init(title: String, description: String? = nil, id: String? = nil, width: Double = 640,
                height: Double? = nil, valueFormat: ValueFormat = .integer, color: String? = nil,
                showValues: Bool = true, referenceLines: [ReferenceLine] = [],
                domain: ClosedRange<Double>? = nil, fontSize: Double = 12) {
        self.title = title
        self.description = description
        self.id = id
        self.width = width
        self.height = height
        self.valueFormat = valueFormat
        self.color = color
        self.showValues = showValues
        self.referenceLines = referenceLines
        self.domain = domain
        self.fontSize = fontSize
    }
}

/// Chart colour palette (colour-blind friendly, prints well in greyscale order).
public enum ChartPalette {
    public static let colors: [String] = [
        "#1f5fa8", "#e07b24", "#2e9d6a", "#c43d3d", "#7b5ea7",
        "#8c6d46", "#d45fa0", "#5f6b7a", "#b8a21b", "#2aa5b8",
    ]
    public static let primary = "#1f5fa8"
    public static let good = "#2e7d32"
    public static let warning = "#c77700"
    public static let bad = "#c62828"
    public static let grid = "#e3e7ed"
    public static let axis = "#8a94a3"
    public static let text = "#1d2733"
    public static let muted = "#5f6b7a"

    public static func color(_ index: Int) -> String {
        colors[((index % colors.count) + colors.count) % colors.count]
    }
}
