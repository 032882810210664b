import Foundation

/// Fixed-width values that `PackedArray` stores as little-endian bytes.
public protocol PackableScalar: FixedWidthInteger & Sendable {}
extension UInt8: PackableScalar {}
extension UInt16: PackableScalar {}
extension Int16: PackableScalar {}
extension Int32: PackableScalar {}
extension UInt32: PackableScalar {}
extension UInt64: PackableScalar {}

/// An array of fixed-width integers that encodes in JSON as one base64 string of little-endian bytes
/// (a model's hundreds of thousands of numbers stay compact and decode fast).
public struct PackedArray<T: PackableScalar>: Codable, Sendable, Equatable {
    public var values: [T]

    public init(_ values: [T]) { self.values = values }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let data = Data(base64Encoded: text), data.count % MemoryLayout<T>.size == 0 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not base64 of \(T.self) values"))
        }
        let n = data.count / MemoryLayout<T>.size
        var out = [T](repeating: 0, count: n)
        data.withUnsafeBytes { raw in
            for i in 0..<n { out[i] = T(littleEndian: raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)) }
        }
        values = out
    }

    public func encode(to encoder: any Encoder) throws {
        var data = Data(capacity: values.count * MemoryLayout<T>.size)
        for v in values { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        var c = encoder.singleValueContainer()
        try c.encode(data.base64EncodedString())
    }
}

/// Floats stored as 16-bit integers with one scale (|error| ≤ scale / 2): weights and IDF values.
public struct QuantizedFloats: Codable, Sendable, Equatable {
    public var scale: Float
    public var codes: PackedArray<Int16>

    public init(_ values: [Float]) {
        let m = values.reduce(Float(0)) { max($0, abs($1)) }
        scale = m > 0 ? m / Float(Int16.max) : 1
        let s = scale
        codes = PackedArray(values.map { Int16(($0 / s).rounded()) })
    }

    public var values: [Float] { codes.values.map { Float($0) * scale } }
    public var count: Int { codes.values.count }
}
