import ConnectKit

extension StandardTransforms {
    /// Transformations added after the first set (Flatten, HeaderFrom, TimestampConverter, Debezium's).
    static let extraTransformations: [(String, any Transformation.Type, String)] = []
}
